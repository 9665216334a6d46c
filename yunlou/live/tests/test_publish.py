"""Publishing a launch's unit changes: only what committed, the status as it stands after the commit, numbered."""

import json
import re

import pytest
from django.db import transaction

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.launch.models import LaunchUnit, Order, OrderStatus
from yunlou.launch.tests.factories import launch_make, pledge_make
from yunlou.live import channels
from yunlou.live.publish import launch_unit_changed, launch_units_reset, launch_version, order_unit_changed


def _messages(client, launch_id):
    return [(channels.seq_of(entry_id), json.loads(fields[b"data"]))
            for entry_id, fields in client.xrange(channels.stream_key(launch_id))]


def _hold(unit):
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.HELD)


@pytest.mark.django_db(transaction=True)
def test_a_change_is_published_only_once_its_transaction_commits(project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    with transaction.atomic():
        _hold(units[0])
        launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
        assert _messages(publishing_to_redis, launch.pk) == []
    [(seq, message)] = _messages(publishing_to_redis, launch.pk)
    assert (seq, message["unit"], message["status"], message["seq"]) == (1, units[0].pk, "held", 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", message["at"])
    assert launch_version(launch.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_publishes_nothing(project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    with pytest.raises(RuntimeError), transaction.atomic():
        _hold(units[0])
        launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
        raise RuntimeError("the claim failed after the UPDATE")
    assert _messages(publishing_to_redis, launch.pk) == []
    assert launch_version(launch.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_the_message_goes_out_on_the_launch_channel_too(project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    subscriber = publishing_to_redis.pubsub()
    subscriber.subscribe(channels.channel(launch.pk))
    assert subscriber.get_message(timeout=1)["type"] == "subscribe"
    _hold(units[1])
    launch_unit_changed(launch_id=launch.pk, unit_id=units[1].pk)  # autocommit: sent at once
    message = subscriber.get_message(timeout=2)
    subscriber.close()
    assert json.loads(message["data"]) == {**_messages(publishing_to_redis, launch.pk)[0][1]}
    assert json.loads(message["data"])["status"] == "held"


@pytest.mark.django_db(transaction=True)
def test_the_status_sent_is_the_one_the_unit_has_after_the_commit(project, units, publishing_to_redis):
    """Two transactions' on-commit callbacks can run out of order; the message says what is true then."""
    launch = launch_make(project, units=units)
    with transaction.atomic():
        _hold(units[0])
        launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
        Unit.objects.filter(pk=units[0].pk).update(status=UnitStatus.AVAILABLE)  # e.g. given back before commit
    assert [message["status"] for _seq, message in _messages(publishing_to_redis, launch.pk)] == ["available"]


@pytest.mark.django_db(transaction=True)
def test_changes_are_numbered_one_after_another_per_launch(project, units, publishing_to_redis):
    launch = launch_make(project, units=units[:2])
    other = launch_make(project, units=units[2:])
    for unit in units[:2]:
        launch_unit_changed(launch_id=launch.pk, unit_id=unit.pk)
    launch_unit_changed(launch_id=other.pk, unit_id=units[2].pk)
    assert [seq for seq, _message in _messages(publishing_to_redis, launch.pk)] == [1, 2]
    assert [seq for seq, _message in _messages(publishing_to_redis, other.pk)] == [1]
    assert (launch_version(launch.pk), launch_version(other.pk)) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_numbers_keep_growing_when_the_counter_was_lost(project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
    launch_unit_changed(launch_id=launch.pk, unit_id=units[1].pk)
    publishing_to_redis.delete(channels.version_key(launch.pk))  # evicted, say
    launch_unit_changed(launch_id=launch.pk, unit_id=units[2].pk)
    assert [seq for seq, _message in _messages(publishing_to_redis, launch.pk)] == [1, 2, 3]
    assert launch_version(launch.pk) == 3


@pytest.mark.django_db(transaction=True)
def test_no_message_names_a_units_claim_token_nor_a_reserved_unit(project, units, publishing_to_redis):
    launch = launch_make(project, units=units[:2], reserved=units[2:3])
    for unit in units[:3]:
        launch_unit_changed(launch_id=launch.pk, unit_id=unit.pk)
    raw = b"".join(fields[b"data"] for _id, fields in publishing_to_redis.xrange(channels.stream_key(launch.pk)))
    assert [message["unit"] for _seq, message in _messages(publishing_to_redis, launch.pk)] == [units[0].pk,
                                                                                               units[1].pk]
    for token in LaunchUnit.objects.filter(launch=launch).values_list("token", flat=True):
        assert token.encode() not in raw


@pytest.mark.django_db(transaction=True)
def test_a_rehearsal_change_is_flagged_and_carries_the_rehearsal_status(project, units, publishing_to_redis):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer])
    LaunchUnit.objects.filter(launch=launch, unit=units[0]).update(is_rehearsal_held=True)
    order = Order.objects.create(launch=launch, unit=units[0], pledge=buyer, is_rehearsal=True, slot=1,
                                 buyer_limit=1, price=1, status=OrderStatus.SUBSCRIBED,
                                 held_at=launch.starts_at, held_until=launch.ends_at)
    order_unit_changed(order)
    [(_seq, message)] = _messages(publishing_to_redis, launch.pk)
    assert (message["status"], message["rehearsal"]) == ("subscribed", True)
    assert Unit.objects.get(pk=units[0].pk).status == UnitStatus.AVAILABLE  # the real grid is untouched


@pytest.mark.django_db(transaction=True)
def test_a_reset_tells_pages_to_fetch_every_status_again(project, units, publishing_to_redis):
    launch = launch_make(project, units=units)
    launch_units_reset(launch_id=launch.pk, rehearsal=True)
    [(seq, message)] = _messages(publishing_to_redis, launch.pk)
    assert (message["reset"], message["rehearsal"], message["seq"]) == (True, True, seq)


@pytest.mark.django_db(transaction=True)
def test_without_redis_only_the_version_in_the_cache_moves(project, units, settings):
    settings.REDIS_URL = ""
    launch = launch_make(project, units=units)
    with pytest.raises(RuntimeError), transaction.atomic():
        launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
        raise RuntimeError
    assert launch_version(launch.pk) == 0
    launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
    launch_unit_changed(launch_id=launch.pk, unit_id=units[1].pk)
    assert launch_version(launch.pk) == 2


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_never_fails_the_committed_change(project, units, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/13"  # nothing listens there
    launch = launch_make(project, units=units)
    with transaction.atomic():
        _hold(units[0])
        launch_unit_changed(launch_id=launch.pk, unit_id=units[0].pk)
    assert Unit.objects.get(pk=units[0].pk).status == UnitStatus.HELD
    assert "publishing launch" in caplog.text
    assert launch_version(launch.pk) == -1  # unknown: a polling page gets the whole state
