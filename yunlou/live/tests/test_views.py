"""The polling fallback: the launch's offered units and their statuses, and 204 while nothing changed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.launch.models import LaunchUnit
from yunlou.launch.tests.factories import launch_make
from yunlou.live.publish import launch_unit_changed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("yunlou.live.tests.urls")]


def _state(client, launch, **params):
    return client.get(f"/live/launches/{launch.pk}/state", params)


def test_the_state_lists_every_offered_unit_with_its_status_and_no_reserved_one(client, project, units,
                                                                                 publishing_to_redis):
    launch = launch_make(project, units=units[:3], reserved=units[3:])
    Unit.objects.filter(pk=units[1].pk).update(status=UnitStatus.HELD)
    response = _state(client, launch)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"version": 0, "units": {str(units[0].pk): "available", str(units[1].pk): "held",
                                                       str(units[2].pk): "available"}}
    for token in LaunchUnit.objects.filter(launch=launch).values_list("token", flat=True):
        assert token not in response.content.decode()


def test_nothing_changed_since_the_pages_version_is_a_204_without_a_query(client, project, units,
                                                                          publishing_to_redis):
    launch = launch_make(project, units=units)
    launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
    with CaptureQueriesContext(connection) as queries:
        response = _state(client, launch, since=1)
    assert response.status_code == 204
    assert response.content == b""
    assert len(queries) == 0


def test_a_change_after_the_pages_version_answers_the_new_statuses_and_version(client, project, units,
                                                                              publishing_to_redis):
    launch = launch_make(project, units=units)
    assert _state(client, launch, since=0).status_code == 204
    Unit.objects.filter(pk=units[2].pk).update(status=UnitStatus.HELD)
    launch_unit_changed(launch_id=launch.pk, unit_id=units[2].pk)
    response = _state(client, launch, since=0)
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.json()["units"][str(units[2].pk)] == "held"
    assert _state(client, launch, since=1).status_code == 204


def test_the_state_of_one_version_is_built_once_for_every_page(client, project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    first = _state(client, launch)
    with CaptureQueriesContext(connection) as queries:
        second = _state(client, launch)
    assert second.content == first.content
    assert len(queries) == 0


def test_the_rehearsal_state_shows_rehearsal_holds_not_the_units(client, project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    LaunchUnit.objects.filter(launch=launch, unit=units[0]).update(is_rehearsal_held=True)
    assert _state(client, launch, rehearsal=1).json()["units"][str(units[0].pk)] == "held"
    assert _state(client, launch).json()["units"][str(units[0].pk)] == "available"


def test_the_state_works_without_redis_on_the_caches_version(client, project, units, settings):
    settings.REDIS_URL = ""
    launch = launch_make(project, units=units)
    launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
    assert _state(client, launch).json()["version"] == 1
    assert _state(client, launch, since=1).status_code == 204


def test_an_unknown_launch_is_not_found(client, db, publishing_to_redis):
    assert client.get("/live/launches/999999/state").status_code == 404


def test_django_answers_the_events_url_with_an_error_so_that_pages_poll(client, db):
    """Reached when no proxy rule sends /live/…/events to the event server: EventSource must give up."""
    response = client.get("/live/launches/1/events")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("text/event-stream")
