"""A property of the commission ledger: over random sequences of reports, visits, orders (subscribed, signed),
refunds, loan disbursements, settlements and rule changes, after every step
- per deal, the live level-1 entries plus claw-backs sum to what the report's rules version says for the deal's
  state (0 after a refund, with every paid entry offset by exactly one claw-back), and level 2 likewise;
- a visit bonus is earned once per visited report, at both levels;
- no entry is paid twice, none sits in two batches, none is paid outside a batch, and batch totals add up.

The expected amounts come from a model kept by the test (the rules values in force when each report was made), not
from the services' own arithmetic.
"""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from yunlou.brokers.models import (
    ENTRY_TRANSITIONS,
    CommissionEntry,
    EntryKind,
    EntryStatus,
    Referral,
    ReferralStatus,
    SettlementBatch,
    SettlementStatus,
)
from yunlou.brokers.services.commissions import (
    commissions_loan_disbursed,
    referral_order_refunded,
    referral_order_signed,
    referral_order_subscribed,
)
from yunlou.brokers.services.settlements import settlement_create, settlement_pay
from yunlou.brokers.services.visits import referral_visit_confirm
from yunlou.brokers.tests.factories import broker_make, order_make, report, rules_make, staff_make
from yunlou.core.errors import Conflict, NotFound, ValidationFailed
from yunlou.launch.models import OrderStatus
from yunlou.launch.tests.factories import pledge_make

pytestmark = pytest.mark.django_db

PHONES = ["13812340001", "13955550003", "13955560003"]  # the last two differ only where every mask hides
PRICES = [1_000_000, 99_999_999, 286_000_000, 123_456_789]
BASE_RULES = {"number_mode": "full", "direct_mode": "percent", "direct_fixed": 0, "direct_basis_points": 50,
              "upline_mode": "percent", "upline_fixed": 0, "upline_basis_points": 1000, "visit_bonus": 0,
              "subscribe_share_percent": 0, "payable_on": "signing", "visit_is_king": False}

rules_values = st.fixed_dictionaries({
    "number_mode": st.sampled_from(["full", "m34", "m43"]),
    "direct_mode": st.sampled_from(["fixed", "percent"]),
    "direct_fixed": st.integers(0, 3_000_000),
    "direct_basis_points": st.integers(0, 300),
    "upline_mode": st.sampled_from(["none", "fixed", "percent"]),
    "upline_fixed": st.integers(0, 300_000),
    "upline_basis_points": st.integers(0, 5000),
    "visit_bonus": st.sampled_from([0, 1, 20_000]),
    "subscribe_share_percent": st.sampled_from([0, 33, 50, 100]),
    "payable_on": st.sampled_from(["signing", "loan"]),
    "visit_is_king": st.booleans(),
})
phone_index = st.integers(0, len(PHONES) - 1)
bring = st.tuples(st.just("bring"), st.integers(0, 2), phone_index, st.sampled_from(PRICES), st.booleans())
refund = st.tuples(st.just("refund"), phone_index)
settle = st.tuples(st.just("settle"), st.booleans())
close = st.tuples(st.just("close"), phone_index, st.booleans())
rule_change = st.tuples(st.just("rules"), rules_values)
steps = st.lists(st.one_of(  # weighted towards whole deals, refunds and settlements, where the money moves
    bring, bring, bring, close, close, refund, refund, settle, rule_change, rule_change,
    st.tuples(st.just("report"), st.integers(0, 2), phone_index),
    st.tuples(st.just("visit"), phone_index, st.integers(0, 2)),
    st.tuples(st.just("subscribe"), phone_index, st.sampled_from(PRICES), st.booleans()),
    st.tuples(st.just("sign"), phone_index),
    st.tuples(st.just("loan"), phone_index),
    st.tuples(st.just("pay")),
), min_size=3, max_size=16)


def _reachable(status: str) -> set[str]:
    """Statuses an entry may reach from `status` in one step of the test (a step may be several transitions)."""
    found, todo = set(), [status]
    while todo:
        for following in ENTRY_TRANSITIONS[todo.pop()]:
            if following not in found:
                found.add(following)
                todo.append(following)
    return found


REACHABLE = {status: _reachable(status) for status in ENTRY_TRANSITIONS}


def half_up(amount: int, numerator: int, denominator: int) -> int:
    return int((Decimal(amount) * numerator / denominator).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_deal(rules: dict, price: int, has_upline: bool) -> tuple[int, int]:
    """(level 1, level 2) of a live deal at `price` under `rules`, from the rules' own words."""
    direct = rules["direct_fixed"] if rules["direct_mode"] == "fixed" else half_up(price,
                                                                                   rules["direct_basis_points"], 10_000)
    at_subscription = half_up(direct, rules["subscribe_share_percent"], 100)
    stages = [at_subscription, direct - at_subscription]
    if not has_upline or rules["upline_mode"] == "none":
        upline = 0
    elif rules["upline_mode"] == "fixed":
        upline = rules["upline_fixed"]
    else:
        upline = sum(half_up(stage, rules["upline_basis_points"], 10_000) for stage in stages)
    return direct, upline


def expected_visit(rules: dict, has_upline: bool) -> tuple[int, int]:
    bonus = rules["visit_bonus"]
    upline = half_up(bonus, rules["upline_basis_points"], 10_000) if has_upline and rules[
        "upline_mode"] == "percent" else 0
    return bonus, upline


class World:
    def __init__(self, project, building, consultant):
        self.project = project
        self.units = list(building.units.order_by("code"))
        self.desk = staff_make(project, "receptionist")
        self.channel = staff_make(project, "channel")
        self.finance = staff_make(project, "finance")
        first = broker_make(project.organization, upline=consultant.user)
        self.brokers = [first, broker_make(project.organization, upline=first.user), broker_make(project.organization)]


class Model:
    """What the ledger should be, kept beside the system under test."""

    def __init__(self):
        self.rules = dict(BASE_RULES)
        self.rules_of: dict[int, dict] = {}  # referral pk → rules values in force when it was reported
        self.owner: dict[str, int] = {}  # phone → the visited report that owns him
        self.deals: dict[int, dict] = {}  # order pk → {referral, price, live}
        self.live_order: dict[str, object] = {}  # phone → its live order
        self.pledges: dict[str, object] = {}
        self.seen: dict[int, tuple] = {}  # entry pk → (status, batch, paid_at)


def step(world: World, model: Model, action: tuple) -> None:
    kind = action[0]
    if kind == "bring":  # the whole way: a report, its visit, and the buyer's order
        _broker, phone, price, signed = action[1:]
        step(world, model, ("report", _broker, phone))
        step(world, model, ("visit", phone, 0))
        step(world, model, ("subscribe", phone, price, signed))
    elif kind == "close":  # signed, the loan paid out, everything payable settled and paid (then maybe refunded)
        step(world, model, ("sign", action[1]))
        step(world, model, ("loan", action[1]))
        step(world, model, ("settle", True))
        if action[2]:  # and then 退房: what was paid is clawed back
            step(world, model, ("refund", action[1]))
    elif kind == "rules":
        model.rules = dict(BASE_RULES, **action[1])
        rules_make(world.project, lead_minutes=0, daily_cap=0, **model.rules)
    elif kind == "report":
        referral = report(world.brokers[action[1]], world.project, PHONES[action[2]])
        if referral.status == ReferralStatus.REPORTED:
            model.rules_of[referral.pk] = dict(model.rules)
    elif kind == "visit":
        phone = PHONES[action[1]]
        waiting = [r for r in Referral.objects.filter(project=world.project, status=ReferralStatus.REPORTED)
                   .order_by("pk") if r.phone == phone or r.key_33 and _may_be(r, phone)]
        if not waiting:
            return
        try:
            visited = referral_visit_confirm(staff=world.desk, referral_id=waiting[action[2] % len(waiting)].pk,
                                             phone=phone)
        except (Conflict, ValidationFailed, NotFound):
            return
        assert phone not in model.owner, "a second report came to own one customer"
        model.owner[phone] = visited.pk
    elif kind == "subscribe":
        phone = PHONES[action[1]]
        if phone in model.live_order:
            return
        busy = {order.unit_id for order in model.live_order.values()}
        unit = next(u for u in world.units if u.pk not in busy)
        if phone not in model.pledges:
            model.pledges[phone] = pledge_make(world.project, phone=phone)
        order = order_make(world.project, unit, phone=phone, price=action[2], pledge=model.pledges[phone],
                           status=OrderStatus.SIGNED if action[3] else OrderStatus.SUBSCRIBED)
        referral_order_subscribed(order)
        model.live_order[phone] = order
        model.deals[order.pk] = {"referral": model.owner.get(phone), "price": action[2], "live": True,
                                 "order": order}
        event("a referred deal" if phone in model.owner else "a deal nobody referred")
    elif kind in ("sign", "loan", "refund"):
        order = model.live_order.get(PHONES[action[1]])
        if order is None:
            return
        if kind == "sign" and order.status == OrderStatus.SUBSCRIBED:
            order.status = OrderStatus.SIGNED
            order.save(update_fields=["status"])
            referral_order_signed(order)
        elif kind == "loan" and order.status == OrderStatus.SIGNED:
            commissions_loan_disbursed(order=order, actor=world.finance.user)
        elif kind == "refund":
            order.status = OrderStatus.REFUNDED
            order.save(update_fields=["status"])
            referral_order_refunded(order)
            referral_order_refunded(order)  # a hook that runs twice changes nothing
            del model.live_order[PHONES[action[1]]]
            model.deals[order.pk]["live"] = False
            event("a refund of a referred deal" if model.deals[order.pk]["referral"] else "a refund")
    elif kind == "settle":
        ids = list(CommissionEntry.objects.filter(status=EntryStatus.PAYABLE, batch__isnull=True)
                   .values_list("pk", flat=True))
        if not ids:
            return
        try:
            batch = settlement_create(staff=world.channel, entry_ids=ids)
        except ValidationFailed:  # every chosen earner owes more than he is owed
            return
        event("a settlement with claw-backs" if batch.entries.filter(kind=EntryKind.CLAWBACK).exists()
              else "a settlement")
        if action[1]:
            settlement_pay(staff=world.finance, batch_id=batch.pk)
    elif kind == "pay":
        batch = SettlementBatch.objects.filter(status=SettlementStatus.APPROVED).order_by("pk").first()
        if batch is not None:
            settlement_pay(staff=world.finance, batch_id=batch.pk)
            with pytest.raises(Conflict):
                settlement_pay(staff=world.finance, batch_id=batch.pk)


def _may_be(referral: Referral, phone: str) -> bool:
    from yunlou.brokers.phones import matches, referral_number

    return matches(referral_number(referral), phone)


def live_sum(entries, level: int) -> int:
    return sum(e.amount for e in entries if e.level == level
               and not (e.kind == EntryKind.COMMISSION and e.status == EntryStatus.REVERSED))


def check(world: World, model: Model) -> None:
    entries = list(CommissionEntry.objects.select_related("referral__broker").order_by("pk"))
    by_order: dict[int, list] = {}
    for entry in entries:
        by_order.setdefault(entry.order_id, []).append(entry)
    assert set(by_order) - {None} <= set(model.deals), "entries for an order nobody subscribed"
    for order_pk, deal in model.deals.items():
        mine = by_order.get(order_pk, [])
        referral_pk = deal["referral"]
        if referral_pk is None:
            assert mine == [], "a deal nobody referred earned commissions"
            continue
        broker = next(b for b in world.brokers if b.referrals.filter(pk=referral_pk).exists())
        level1, level2 = expected_deal(model.rules_of[referral_pk], deal["price"], broker.upline_id is not None)
        if not deal["live"]:
            level1 = level2 = 0
            assert not [e for e in mine if e.status in (EntryStatus.PENDING, EntryStatus.PAYABLE)]
            paid = {e.pk: e.amount for e in mine if e.kind == EntryKind.COMMISSION and e.status == EntryStatus.PAID}
            clawed = {e.reverses_id: e.amount for e in mine if e.kind == EntryKind.CLAWBACK}
            assert set(paid) == set(clawed) and all(paid[pk] == -clawed[pk] for pk in paid)
        else:
            assert not [e for e in mine if e.kind == EntryKind.CLAWBACK or e.status == EntryStatus.REVERSED]
            assert all(e.referral_id == referral_pk for e in mine)
        assert (live_sum(mine, 1), live_sum(mine, 2)) == (level1, level2), (deal, model.rules_of[referral_pk])
    for referral_pk in model.owner.values():
        broker = Referral.objects.get(pk=referral_pk).broker
        visit = [e for e in by_order.get(None, []) if e.referral_id == referral_pk]
        assert all(e.deal_key == "visit" and e.kind == EntryKind.COMMISSION for e in visit)
        assert (live_sum(visit, 1), live_sum(visit, 2)) == expected_visit(model.rules_of[referral_pk],
                                                                          broker.upline_id is not None)
    for entry in entries:
        if entry.status == EntryStatus.PAID:
            assert entry.batch_id is not None and entry.paid_at is not None
            assert entry.batch.status == SettlementStatus.PAID
        before = model.seen.get(entry.pk)
        if before is not None:
            status, batch_id, paid_at = before
            assert entry.status == status or entry.status in REACHABLE[status], (status, entry.status)
            if status == EntryStatus.PAID:  # paid once, never again, never moved
                assert (entry.status, entry.batch_id, entry.paid_at) == (status, batch_id, paid_at)
        model.seen[entry.pk] = (entry.status, entry.batch_id, entry.paid_at)
    for batch in SettlementBatch.objects.all():
        inside = [e for e in entries if e.batch_id == batch.pk]
        assert batch.total == sum(e.amount for e in inside) >= 0
        if batch.status == SettlementStatus.PAID:
            assert all(e.status == EntryStatus.PAID for e in inside)
        else:
            assert all(e.status in (EntryStatus.PAYABLE, EntryStatus.OWED) for e in inside)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(actions=steps)
@example(actions=[  # paid, refunded (claw-backs owed), then a bigger deal whose settlement deducts them
    ("bring", 0, 0, 286_000_000, True), ("close", 0, True),
    ("rules", dict(BASE_RULES, direct_mode="fixed", direct_fixed=3_000_000, upline_mode="fixed",
                   upline_fixed=100_000, subscribe_share_percent=50, visit_bonus=20_000)),
    ("bring", 0, 1, 1_000_000, False), ("settle", True), ("close", 1, False), ("refund", 1)])
@example(actions=[  # 到访为王 in a masked project: two reports of look-alike numbers, one visit wins
    ("rules", dict(BASE_RULES, number_mode="m34", visit_is_king=True, payable_on="loan")),
    ("report", 0, 1), ("report", 1, 2), ("visit", 2, 1), ("visit", 1, 0), ("subscribe", 2, 123_456_789, True),
    ("loan", 2), ("settle", False), ("refund", 2), ("pay",)])
def test_the_ledger_of_every_deal_always_equals_its_rules_and_nothing_is_paid_twice(project, building, consultant,
                                                                                    actions):
    with transaction.atomic():
        rules_make(project, lead_minutes=0, daily_cap=0, **BASE_RULES)
        world, model = World(project, building, consultant), Model()
        for action in actions:
            step(world, model, action)
            check(world, model)
        transaction.set_rollback(True)
