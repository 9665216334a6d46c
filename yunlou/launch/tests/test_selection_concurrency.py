"""Buyers pressing at the same instant on real parallel PostgreSQL connections: every unit goes to one buyer."""

import pytest

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.errors import Conflict
from yunlou.core.tests.concurrency import postgres_only, race
from yunlou.launch.models import Order, OrderStatus
from yunlou.launch.services import order_holds_expire, unit_claim
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def test_eight_buyers_pressing_for_one_unit_at_once_leave_exactly_one_holder(project, building):
    unit = building.units.order_by("code").first()
    buyers = [pledge_make(project) for _ in range(8)]
    launch = launch_make(project, units=[unit], pledges=buyers)
    token = token_of(launch, unit)
    outcomes = race(*[lambda buyer=buyer: unit_claim(launch_id=launch.pk, pledge=buyer, token=token)
                      for buyer in buyers])
    winners = [o for o in outcomes if isinstance(o, Order)]
    assert len(winners) == 1
    assert all(isinstance(o, Conflict) and o.code == "taken" for o in outcomes if o not in winners)
    assert Order.objects.filter(unit=unit, status=OrderStatus.HELD).count() == 1
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.HELD


def test_one_buyer_selecting_two_units_from_two_devices_at_once_holds_one(project, building):
    units = list(building.units.order_by("code")[:2])
    buyer = pledge_make(project)
    launch = launch_make(project, units=units, pledges=[buyer])
    for _attempt in range(5):
        outcomes = race(*[lambda unit=unit: unit_claim(launch_id=launch.pk, pledge=buyer,
                                                       token=token_of(launch, unit)) for unit in units])
        assert sum(isinstance(o, Order) for o in outcomes) == 1, outcomes
        assert Unit.objects.filter(pk__in=[u.pk for u in units], status=UnitStatus.HELD).count() == 1
        Order.objects.all().delete()
        Unit.objects.filter(pk__in=[u.pk for u in units]).update(status=UnitStatus.AVAILABLE)


def test_a_hold_expiring_while_another_buyer_claims_the_unit_gives_it_to_one_buyer_only(project, building):
    unit = building.units.order_by("code").first()
    first, second = pledge_make(project), pledge_make(project)
    launch = launch_make(project, units=[unit], pledges=[first, second])
    order = unit_claim(launch_id=launch.pk, pledge=first, token=token_of(launch, unit))
    after = order.held_until
    outcomes = race(lambda: order_holds_expire(now=after),
                    lambda: unit_claim(launch_id=launch.pk, pledge=second, token=token_of(launch, unit), now=after))
    assert outcomes[0] == 1
    assert Order.objects.filter(unit=unit, status=OrderStatus.HELD).count() <= 1
    # Whether the second buyer came before or after the sweep, at most one active order and a consistent unit.
    held = Order.objects.filter(unit=unit, status=OrderStatus.HELD).count()
    assert Unit.objects.get(pk=unit.pk).status == (UnitStatus.HELD if held else UnitStatus.AVAILABLE)
