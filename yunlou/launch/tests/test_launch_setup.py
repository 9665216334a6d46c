"""A manager sets up a launch behind the presale gate, freezes the eligible list, draws or imports the order."""

import datetime

import pytest
from django.utils import timezone

from yunlou.accounts.models import Role
from yunlou.catalogue.models import UnitStatus
from yunlou.catalogue.tests.factories import building_with_units
from yunlou.core.errors import Conflict, Forbidden, ImportRejected, NotFound, ValidationFailed
from yunlou.launch import lottery
from yunlou.launch.models import LaunchUnit, Order
from yunlou.launch.services import unit_claim
from yunlou.launch.services.launches import (
    launch_anomalies,
    launch_create,
    launch_draw,
    launch_list_freeze,
    launch_order_import,
    launch_published_order,
    launch_rehearsal_clear,
)
from yunlou.launch.tests.factories import pledge_make, token_of

pytestmark = pytest.mark.django_db


def _times(hours_from_now=1):
    starts = timezone.now() + datetime.timedelta(hours=hours_from_now)
    return {"starts_at": starts, "ends_at": starts + datetime.timedelta(hours=2)}


def test_a_launch_offers_units_with_unguessable_tokens_and_lists_reserved_ones_apart(project, building, manager):
    units = list(building.units.order_by("code"))
    launch = launch_create(staff=manager, project_id=project.pk, name="首开", unit_ids=[u.pk for u in units[:6]],
                           reserved_unit_ids=[units[5].pk], **_times())
    offered = LaunchUnit.objects.filter(launch=launch)
    assert offered.count() == 6 and offered.filter(is_reserved=True).get().unit == units[5]
    tokens = list(offered.values_list("token", flat=True))
    assert len(set(tokens)) == 6 and all(len(token) >= 22 for token in tokens)  # 128 random bits each
    assert not any(unit.code in token for unit in units for token in tokens)


def test_units_of_a_building_without_a_presale_permit_cannot_be_offered(project, manager, plans):
    waiting = building_with_units(project=project, number="9", floors=1, units_per_floor=2, plans=plans,
                                  permit=False)
    with pytest.raises(Conflict) as refused:
        launch_create(staff=manager, project_id=project.pk, name="首开",
                      unit_ids=list(waiting.units.values_list("pk", flat=True)), **_times())
    assert refused.value.code == "no_presale_permit" and "9-0101" in refused.value.message


@pytest.mark.parametrize("changes, field", [
    ({"per_buyer_limit": 0}, "per_buyer_limit"),
    ({"hold_minutes": 0}, "hold_minutes"),
    ({"ends_at": timezone.now()}, "ends_at"),
    ({"unit_ids": [2**62]}, "unit_ids"),
    ({"rehearsal_starts_at": timezone.now()}, "rehearsal_starts_at"),
])
def test_bad_launch_settings_are_refused_naming_the_field(project, building, manager, changes, field):
    settings = {"name": "首开", "unit_ids": list(building.units.values_list("pk", flat=True)), **_times(), **changes}
    with pytest.raises(ValidationFailed) as refused:
        launch_create(staff=manager, project_id=project.pk, **settings)
    assert refused.value.field == field


def test_consultants_and_other_developers_cannot_set_up_launches(project, building, consultant, outsider):
    unit_ids = list(building.units.values_list("pk", flat=True))
    with pytest.raises(Forbidden):
        launch_create(staff=consultant, project_id=project.pk, name="x", unit_ids=unit_ids, **_times())
    with pytest.raises(NotFound):
        launch_create(staff=outsider, project_id=project.pk, name="x", unit_ids=unit_ids, **_times())


def test_the_draw_reveals_a_seed_matching_the_published_commitment_and_anyone_can_rerun_it(project, building,
                                                                                           manager):
    pledges = [pledge_make(project) for _ in range(12)]
    launch = launch_create(staff=manager, project_id=project.pk, name="首开",
                           unit_ids=list(building.units.values_list("pk", flat=True)), entry_order="batches",
                           **_times())
    launch = launch_list_freeze(staff=manager, launch_id=launch.pk)
    published_before = (launch.list_digest, launch.seed_commitment)
    assert launch.list_digest == lottery.list_digest(p.number for p in pledges)
    with pytest.raises(Conflict):
        launch_list_freeze(staff=manager, launch_id=launch.pk)

    result = launch_draw(staff=manager, launch_id=launch.pk, public_value="公证处 2026-11-27 开奖号 07 19 23")
    launch.refresh_from_db()
    order = launch_published_order(launch=launch)
    assert order == result.order and sorted(order) == sorted(p.number for p in pledges)
    verdict = lottery.verify(lottery.Published(
        pledge_numbers=[p.number for p in pledges], seed=launch.seed, public_value=launch.public_value,
        list_digest=published_before[0], seed_commitment=published_before[1], order=order))
    assert verdict.is_valid
    with pytest.raises(Conflict) as refused:
        launch_draw(staff=manager, launch_id=launch.pk, public_value="again")
    assert refused.value.code == "drawn"


def test_an_order_drawn_elsewhere_is_imported_all_or_nothing(project, building, manager):
    pledges = [pledge_make(project) for _ in range(3)]
    launch = launch_create(staff=manager, project_id=project.pk, name="首开",
                           unit_ids=list(building.units.values_list("pk", flat=True)), **_times())
    launch_list_freeze(staff=manager, launch_id=launch.pk)
    with pytest.raises(ImportRejected) as refused:
        launch_order_import(staff=manager, launch_id=launch.pk,
                            rows=[(1, pledges[0].number), (2, pledges[1].number), (3, "RC99999")])
    assert refused.value.details and refused.value.details[0]["row"] == 3
    assert launch_published_order(launch=launch) == []
    launch_order_import(staff=manager, launch_id=launch.pk,
                        rows=[(1, pledges[2].number), (2, pledges[0].number), (3, pledges[1].number)])
    assert launch_published_order(launch=launch) == [pledges[2].number, pledges[0].number, pledges[1].number]


def test_winners_in_a_block_of_consecutive_pledge_numbers_are_flagged(project, building, manager):
    pledges = [pledge_make(project) for _ in range(12)]
    launch = launch_create(staff=manager, project_id=project.pk, name="首开",
                           unit_ids=list(building.units.values_list("pk", flat=True)), **_times())
    launch_list_freeze(staff=manager, launch_id=launch.pk)
    stacked = [p.number for p in pledges[3:7]] + [p.number for p in pledges[:3]] + [p.number for p in pledges[7:]]
    launch_order_import(staff=manager, launch_id=launch.pk, rows=list(enumerate(stacked, start=1)))
    flags = launch_anomalies(staff=manager, launch_id=launch.pk, first_places=4)
    assert [flag.kind for flag in flags] == ["consecutive_numbers"]


def test_clearing_the_rehearsal_deletes_its_orders_and_frees_its_units_and_leaves_real_ones(project, building,
                                                                                           manager):
    now = timezone.now()
    buyer = pledge_make(project)
    unit_ids = list(building.units.order_by("code").values_list("pk", flat=True))
    launch = launch_create(staff=manager, project_id=project.pk, name="首开", unit_ids=unit_ids,
                           rehearsal_starts_at=now - datetime.timedelta(minutes=1),
                           rehearsal_ends_at=now + datetime.timedelta(minutes=30), **_times())
    from yunlou.launch.models import LaunchEntry

    LaunchEntry.objects.create(launch=launch, pledge=buyer, place=1)
    unit = building.units.get(pk=unit_ids[0])
    unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, unit, rehearsal=True))
    assert launch_rehearsal_clear(staff=manager, launch_id=launch.pk) == 1
    assert not Order.objects.exists()
    assert not LaunchUnit.objects.filter(is_rehearsal_held=True).exists()
    unit.refresh_from_db()
    assert unit.status == UnitStatus.AVAILABLE


def test_a_receptionist_cannot_draw(project, building, manager):
    from yunlou.accounts.tests.factories import make_staff

    receptionist = make_staff(role=Role.RECEPTIONIST, organization=project.organization, projects=[project])
    launch = launch_create(staff=manager, project_id=project.pk, name="首开",
                           unit_ids=list(building.units.values_list("pk", flat=True)), **_times())
    with pytest.raises(Forbidden):
        launch_list_freeze(staff=receptionist, launch_id=launch.pk)
