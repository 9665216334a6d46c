"""选房: one conditional UPDATE decides who holds a unit; the database refuses a second active order and a buyer
past the limit; holds lapse on a sweep and on read."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.errors import Conflict, Forbidden, NotFound
from yunlou.core.models import AuditLog
from yunlou.launch.models import LaunchBatch, Order, OrderStatus, PledgeStatus
from yunlou.launch.services import hold_expire_overdue, order_holds_expire, unit_claim
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(building):
    return list(building.units.order_by("code")[:4])


def test_a_pledged_buyer_holds_an_available_unit_at_its_filed_price_for_the_hold_minutes(project, units):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer], hold_minutes=7)
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    units[0].refresh_from_db()
    assert units[0].status == UnitStatus.HELD
    assert (order.status, order.price, order.slot) == (OrderStatus.HELD, units[0].list_price, 1)
    assert order.held_until - order.held_at == datetime.timedelta(minutes=7)
    assert AuditLog.objects.filter(action="order.hold", target_id=str(order.pk)).exists()


def test_the_second_buyer_for_the_same_unit_is_told_it_is_taken_and_nothing_changes(project, units):
    first, second = pledge_make(project), pledge_make(project)
    launch = launch_make(project, units=units, pledges=[first, second])
    unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[0]))
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=second, token=token_of(launch, units[0]))
    assert refused.value.code == "taken"
    assert Order.objects.filter(pledge=second).count() == 0


def test_a_buyer_at_the_limit_is_refused_and_the_unit_stays_available(project, units):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer])
    unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[1]))
    assert refused.value.code == "limit_reached"
    units[1].refresh_from_db()
    assert units[1].status == UnitStatus.AVAILABLE


def test_a_limit_of_two_gives_two_slots(project, units):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer], per_buyer_limit=2)
    slots = [unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, unit)).slot for unit in units[:2]]
    assert slots == [1, 2]
    with pytest.raises(Conflict):
        unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[2]))


@pytest.mark.parametrize("starts_in, minutes, code", [(10, 60, "not_started"), (-120, 60, "ended")])
def test_selecting_outside_the_launch_window_is_refused(project, units, starts_in, minutes, code):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer], starts_in_minutes=starts_in, minutes=minutes)
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    assert refused.value.code == code
    assert not Order.objects.exists()


def test_a_reserved_units_token_answers_like_an_unknown_one(project, units):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units[:2], reserved=units[2:3], pledges=[buyer])
    for token in (token_of(launch, units[2]), "no-such-token"):
        with pytest.raises(NotFound) as refused:
            unit_claim(launch_id=launch.pk, pledge=buyer, token=token)
        assert refused.value.message == "No such unit in this launch."
    units[2].refresh_from_db()
    assert units[2].status == UnitStatus.AVAILABLE


def test_buyers_who_are_not_eligible_or_not_paid_up_are_refused(project, units):
    listed_but_refunded = pledge_make(project, status=PledgeStatus.REFUNDED)
    unlisted = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[listed_but_refunded])
    with pytest.raises(Forbidden) as refused:
        unit_claim(launch_id=launch.pk, pledge=listed_but_refunded, token=token_of(launch, units[0]))
    assert refused.value.code == "not_pledged"
    with pytest.raises(Forbidden) as refused:
        unit_claim(launch_id=launch.pk, pledge=unlisted, token=token_of(launch, units[0]))
    assert refused.value.code == "not_eligible"


def test_a_pledge_of_another_project_finds_no_launch(project, units, outsider):
    from yunlou.catalogue.models import Project

    other_buyer = pledge_make(Project.objects.exclude(pk=project.pk).get())
    launch = launch_make(project, units=units)
    with pytest.raises(NotFound):
        unit_claim(launch_id=launch.pk, pledge=other_buyer, token=token_of(launch, units[0]))


def test_in_batches_a_buyer_selects_only_in_the_window_of_their_lottery_place(project, units):
    first, second = pledge_make(project), pledge_make(project)
    launch = launch_make(project, units=units, pledges=[first, second], entry_order="batches")
    now = timezone.now()
    LaunchBatch.objects.create(launch=launch, number=1, first_place=1, last_place=1, starts_at=launch.starts_at,
                               ends_at=now + datetime.timedelta(minutes=10))
    LaunchBatch.objects.create(launch=launch, number=2, first_place=2, last_place=2,
                               starts_at=now + datetime.timedelta(minutes=10), ends_at=launch.ends_at)
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=second, token=token_of(launch, units[0]))
    assert refused.value.code == "batch_not_started"
    assert unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[0])).status == OrderStatus.HELD
    later = now + datetime.timedelta(minutes=11)
    assert unit_claim(launch_id=launch.pk, pledge=second, token=token_of(launch, units[1]), now=later).slot == 1
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[2]), now=later)
    assert refused.value.code in {"batch_ended", "limit_reached"}


def test_a_rehearsal_claim_leaves_the_real_unit_alone_and_is_kept_apart(project, units):
    buyer = pledge_make(project)
    now = timezone.now()
    launch = launch_make(project, units=units, pledges=[buyer], starts_in_minutes=60,
                         rehearsal_starts_at=now - datetime.timedelta(minutes=5),
                         rehearsal_ends_at=now + datetime.timedelta(minutes=30))
    with pytest.raises(NotFound):  # the real launch's tokens mean nothing in the rehearsal
        unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0], rehearsal=True))
    units[0].refresh_from_db()
    assert order.is_rehearsal and units[0].status == UnitStatus.AVAILABLE
    # the real launch later: the same buyer and unit start from nothing
    real = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]),
                      now=launch.starts_at + datetime.timedelta(seconds=1))
    assert not real.is_rehearsal and real.slot == 1


def test_a_hold_expires_on_the_sweep_and_the_unit_is_available_again(project, units):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer])
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    assert order_holds_expire(now=order.held_until - datetime.timedelta(seconds=1)) == 0
    assert order_holds_expire(now=order.held_until) == 1
    order.refresh_from_db()
    units[0].refresh_from_db()
    assert (order.status, units[0].status) == (OrderStatus.EXPIRED, UnitStatus.AVAILABLE)
    assert AuditLog.objects.filter(action="order.hold_expire", target_id=str(order.pk)).exists()


def test_an_overdue_hold_is_expired_when_read_even_without_a_sweep_and_the_slot_is_free_again(project, units):
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer])
    order = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[0]))
    later = order.held_until + datetime.timedelta(seconds=1)
    assert hold_expire_overdue(order, now=later).status == OrderStatus.EXPIRED
    again = unit_claim(launch_id=launch.pk, pledge=buyer, token=token_of(launch, units[1]), now=later)
    assert again.slot == 1


def test_the_database_refuses_a_second_active_order_for_a_unit_and_a_slot_past_the_limit(project, units):
    first, second = pledge_make(project), pledge_make(project)
    launch = launch_make(project, units=units, pledges=[first, second])
    order = unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[0]))
    clone = dict(launch=launch, unit=units[0], pledge=second, slot=1, buyer_limit=1, price=order.price,
                 held_until=order.held_until)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(**clone)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(**{**clone, "unit": units[1], "slot": 2})
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(**{**clone, "unit": units[1], "pledge": first})
    assert Unit.objects.filter(status=UnitStatus.HELD).count() == 1


def test_a_taken_answer_offers_the_most_wanted_favourite_still_free_in_the_same_mode(project, units):
    """The one read behind a tap (tap_reads) ranks favourites by the buyer's order, skips the tapped unit and
    units gone, and in the rehearsal judges by the rehearsal's holds and hands out rehearsal tokens."""
    from yunlou.launch.models import Favourite, LaunchUnit

    first, second = pledge_make(project), pledge_make(project)
    now = timezone.now()
    launch = launch_make(project, units=units, pledges=[first, second], starts_in_minutes=60,
                         rehearsal_starts_at=now - datetime.timedelta(minutes=5),
                         rehearsal_ends_at=now + datetime.timedelta(minutes=30))
    by_unit = {row.unit_id: row for row in LaunchUnit.objects.filter(launch=launch)}
    for rank, unit in enumerate([units[0], units[1], units[2], units[3]], start=1):
        Favourite.objects.create(launch=launch, pledge=second, launch_unit=by_unit[unit.pk], rank=rank)
    real_time = launch.starts_at + datetime.timedelta(seconds=1)
    unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[0]), now=real_time)  # held
    Unit.objects.filter(pk=units[1].pk).update(status=UnitStatus.SUBSCRIBED)  # gone as well
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=second, token=token_of(launch, units[0]), now=real_time)
    offered = refused.value.details["next"]
    assert offered["unit_id"] == units[2].pk and offered["token"] == token_of(launch, units[2])
    assert offered["favourite_rank"] == 3

    # In the rehearsal (now) the real holds count for nothing: units[0] is free there; taken by `first` in the
    # rehearsal, the next offer to `second` is units[1], with its rehearsal token.
    unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, units[0], rehearsal=True))
    with pytest.raises(Conflict) as refused:
        unit_claim(launch_id=launch.pk, pledge=second, token=token_of(launch, units[0], rehearsal=True))
    offered = refused.value.details["next"]
    assert offered["unit_id"] == units[1].pk and offered["token"] == token_of(launch, units[1], rehearsal=True)
