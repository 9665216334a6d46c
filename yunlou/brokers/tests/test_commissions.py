"""佣金: direct (一级) and upline (二级) by fixed, percentage and staged rules; when entries become payable;
reversal and claw-back on 退房; hooks that run twice write nothing twice."""

import pytest

from yunlou.brokers.models import CommissionEntry, EntryKind, EntryStatus, ReferralStatus
from yunlou.brokers.services.commissions import (
    commissions_collection_check,
    commissions_loan_disbursed,
    referral_order_refunded,
    referral_order_signed,
    referral_order_subscribed,
)
from yunlou.brokers.services.settlements import settlement_create, settlement_pay
from yunlou.brokers.services.visits import referral_visit_confirm
from yunlou.brokers.tests.factories import broker_make, order_make, payment_make, report, rules_make, staff_make
from yunlou.launch.models import OrderStatus

pytestmark = pytest.mark.django_db

PHONE = "13812346621"
PRICE = 286_000_000  # ¥2,860,000


@pytest.fixture
def desk(project):
    return staff_make(project, "receptionist")


@pytest.fixture
def deal(project, building, consultant, desk):
    """deal(**rules) → a visited report by a broker invited by the consultant, and a way to make its order."""
    def make(upline=True, **rules):
        rules.setdefault("number_mode", "full")
        rules_make(project, **rules)
        broker = broker_make(project.organization, upline=consultant.user if upline else None)
        referral = report(broker, project, PHONE)
        referral = referral_visit_confirm(staff=desk, referral_id=referral.pk)
        units = iter(building.units.order_by("code"))
        return referral, lambda **kw: order_make(project, next(units), phone=PHONE, price=kw.pop("price", PRICE),
                                                 **kw)
    return make


def ledger(**filters):
    return {(e.level, e.stage, e.kind): (e.amount, e.status)
            for e in CommissionEntry.objects.filter(**filters).order_by("pk")}


def sign(order):
    order.status = OrderStatus.SIGNED
    order.save(update_fields=["status"])
    referral_order_signed(order)


def pay_all(project):
    channel, finance = staff_make(project, "channel"), staff_make(project, "finance")
    ids = list(CommissionEntry.objects.filter(status=EntryStatus.PAYABLE).values_list("pk", flat=True))
    return settlement_pay(staff=finance, batch_id=settlement_create(staff=channel, entry_ids=ids).pk)


def test_journey_two_half_a_percent_direct_and_ten_percent_upline(deal):
    referral, new_order = deal(direct_mode="percent", direct_basis_points=50, upline_mode="percent",
                               upline_basis_points=1000)
    order = new_order()
    referral_order_subscribed(order)
    assert ledger() == {(1, "deal", "commission"): (1_430_000, "pending"),  # ¥14,300
                        (2, "deal", "commission"): (143_000, "pending")}  # ¥1,430
    referral.refresh_from_db()
    assert (referral.status, referral.order_id) == (ReferralStatus.SUBSCRIBED, order.pk)
    entry = CommissionEntry.objects.get(level=2)
    assert entry.beneficiary_id == referral.broker.upline_id and entry.deal_key == f"order:{order.pk}"


def test_a_fixed_direct_commission_and_a_fixed_upline(deal):
    _referral, new_order = deal(direct_mode="fixed", direct_fixed=2_000_000, upline_mode="fixed",
                                upline_fixed=300_000)
    referral_order_subscribed(new_order(price=99_999_999))
    assert ledger() == {(1, "deal", "commission"): (2_000_000, "pending"),
                        (2, "deal", "commission"): (300_000, "pending")}


@pytest.mark.parametrize("price, direct, upline", [(1_515_151, 5000, 750), (1_500_001, 4950, 743)])
def test_percentages_round_half_up_to_the_fen(deal, price, direct, upline):
    _referral, new_order = deal(direct_mode="percent", direct_basis_points=33, upline_mode="percent",
                                upline_basis_points=1500)
    referral_order_subscribed(new_order(price=price))  # 0.33 % and 15 % of it, half up
    assert sorted(CommissionEntry.objects.values_list("level", "amount")) == [(1, direct), (2, upline)]


def test_no_upline_no_second_level(deal):
    _referral, new_order = deal(upline=False)
    referral_order_subscribed(new_order())
    assert set(CommissionEntry.objects.values_list("level", flat=True)) == {1}


def test_staged_rules_pay_a_visit_bonus_and_a_share_at_subscription_at_both_levels(deal, consultant):
    referral, new_order = deal(direct_mode="fixed", direct_fixed=1_000_000, upline_mode="percent",
                               upline_basis_points=1000, visit_bonus=20_000, subscribe_share_percent=40)
    assert ledger() == {(1, "visit", "commission"): (20_000, "payable"), (2, "visit", "commission"): (2_000, "payable")}
    assert CommissionEntry.objects.get(level=1).deal_key == "visit"
    order = new_order()
    referral_order_subscribed(order)
    assert ledger(order=order) == {
        (1, "subscribe", "commission"): (400_000, "payable"), (2, "subscribe", "commission"): (40_000, "payable"),
        (1, "deal", "commission"): (600_000, "pending"), (2, "deal", "commission"): (60_000, "pending")}


def test_a_fixed_upline_is_earned_at_the_deal_stage_only(deal):
    _referral, new_order = deal(direct_mode="fixed", direct_fixed=1_000_000, upline_mode="fixed",
                                upline_fixed=50_000, visit_bonus=20_000, subscribe_share_percent=50)
    referral_order_subscribed(new_order())
    assert {(e.level, e.stage): e.amount for e in CommissionEntry.objects.all()} == {
        (1, "visit"): 20_000, (1, "subscribe"): 500_000, (1, "deal"): 500_000, (2, "deal"): 50_000}


def test_the_deal_commission_becomes_payable_at_signing(deal):
    referral, new_order = deal(payable_on="signing")
    order = new_order()
    referral_order_subscribed(order)
    sign(order)
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PAYABLE}
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SIGNED


def test_an_order_signed_at_once_is_payable_on_subscription_hook(deal):
    _referral, new_order = deal(payable_on="signing")
    referral_order_subscribed(new_order(status=OrderStatus.SIGNED))
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PAYABLE}


def test_the_deal_commission_waits_for_the_configured_share_of_the_price_collected(deal):
    _referral, new_order = deal(payable_on="collected", payable_collected_percent=30)
    order = new_order()
    referral_order_subscribed(order)
    payment_make(order, PRICE * 30 // 100)  # collected but the order is not signed yet
    assert commissions_collection_check(order) == 0
    sign(order)
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PAYABLE}


def test_collected_share_counts_only_paid_payments_of_the_order(deal):
    _referral, new_order = deal(payable_on="collected", payable_collected_percent=30)
    order = new_order()
    referral_order_subscribed(order)
    payment_make(order, PRICE * 20 // 100)
    payment_make(order, PRICE * 50 // 100, status="created")
    sign(order)
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}
    payment_make(order, PRICE * 10 // 100 - 1)
    assert commissions_collection_check(order) == 0
    payment_make(order, 1)
    assert commissions_collection_check(order) == 2
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PAYABLE}


def test_the_deal_commission_waits_for_the_loan_disbursement(deal, project):
    _referral, new_order = deal(payable_on="loan")
    order = new_order()
    referral_order_subscribed(order)
    sign(order)
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}
    assert commissions_loan_disbursed(order=order, actor=staff_make(project, "finance").user) == 2
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.PAYABLE}
    assert commissions_loan_disbursed(order=order, actor=None) == 0


def test_a_refund_reverses_pending_and_payable_entries_and_the_report_goes_back_to_visited(deal):
    referral, new_order = deal(direct_mode="fixed", direct_fixed=1_000_000, subscribe_share_percent=40)
    order = new_order()
    referral_order_subscribed(order)
    assert referral_order_refunded(order) == []
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {EntryStatus.REVERSED}
    assert not CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK).exists()
    referral.refresh_from_db()
    assert (referral.status, referral.order_id) == (ReferralStatus.VISITED, None)


def test_a_refund_after_payment_claws_back_the_paid_entries_as_owed(deal, project):
    _referral, new_order = deal(direct_mode="fixed", direct_fixed=1_000_000, upline_mode="percent",
                                upline_basis_points=1000, subscribe_share_percent=40)
    order = new_order()
    referral_order_subscribed(order)
    pay_all(project)  # the subscription share is paid; the deal share still pending
    clawbacks = referral_order_refunded(order)
    assert sorted(c.amount for c in clawbacks) == [-400_000, -40_000]
    assert ledger(order=order) == {
        (1, "subscribe", "commission"): (400_000, "paid"), (2, "subscribe", "commission"): (40_000, "paid"),
        (1, "deal", "commission"): (600_000, "reversed"), (2, "deal", "commission"): (60_000, "reversed"),
        (1, "subscribe", "clawback"): (-400_000, "owed"), (2, "subscribe", "clawback"): (-40_000, "owed")}
    for clawback in clawbacks:
        assert clawback.reverses.amount == -clawback.amount
        assert clawback.beneficiary_id == clawback.reverses.beneficiary_id


def test_hooks_that_run_twice_write_nothing_twice(deal, project):
    _referral, new_order = deal(subscribe_share_percent=50)
    order = new_order()
    referral_order_subscribed(order)
    assert referral_order_subscribed(order) == []
    sign(order)
    sign(order)
    pay_all(project)
    referral_order_refunded(order)
    assert referral_order_refunded(order) == []
    assert CommissionEntry.objects.filter(kind=EntryKind.COMMISSION).count() == 4
    assert CommissionEntry.objects.filter(kind=EntryKind.CLAWBACK).count() == 4


def test_an_order_of_a_buyer_nobody_referred_earns_nothing(deal, project, building):
    deal()
    referral_order_subscribed(order_make(project, building.units.order_by("-code").first(), phone="13900001111"))
    assert not CommissionEntry.objects.exists()


def test_commissions_follow_the_rules_version_of_the_report(deal, project):
    _referral, new_order = deal(direct_mode="percent", direct_basis_points=50)
    rules_make(project, number_mode="full", direct_mode="fixed", direct_fixed=1, upline_mode="none")
    referral_order_subscribed(new_order())
    assert ledger() == {(1, "deal", "commission"): (1_430_000, "pending"),
                        (2, "deal", "commission"): (143_000, "pending")}


def test_an_order_after_protection_lapsed_earns_nothing(deal, project):
    from django.utils import timezone

    from yunlou.brokers.models import Referral

    referral, new_order = deal()
    Referral.objects.filter(pk=referral.pk).update(protected_until=timezone.now())
    referral_order_subscribed(new_order())
    assert not CommissionEntry.objects.exists()


def test_refunding_one_of_two_deals_leaves_the_other_earning_after_protection_lapsed(project, deal):
    referral, make_order = deal(direct_mode="fixed", direct_fixed=1_000_000, upline_mode="none")
    first = make_order()
    second = make_order(pledge=first.pledge)  # the same buyer takes a second unit
    referral_order_subscribed(first)
    referral_order_subscribed(second)
    referral_order_refunded(first)
    referral.refresh_from_db()
    assert (referral.status, referral.order_id) == (ReferralStatus.SUBSCRIBED, second.pk)
    # The protection period ends; the second deal still belongs to the broker and becomes payable at signing.
    from yunlou.brokers.models import Referral
    Referral.objects.filter(pk=referral.pk).update(protected_until=referral.visited_at)
    sign(second)
    assert ledger(order=second) == {(1, "deal", "commission"): (1_000_000, "payable")}
    assert ledger(order=first) == {(1, "deal", "commission"): (1_000_000, "reversed")}


def test_a_commission_waiting_for_collection_becomes_payable_when_the_deposit_covers_the_share(project, deal):
    referral, make_order = deal(direct_mode="fixed", direct_fixed=1_000_000, upline_mode="none",
                                payable_on="collected", payable_collected_percent=10)
    order = make_order(price=100_000_000)
    referral_order_subscribed(order)
    sign(order)
    assert ledger(order=order)[(1, "deal", "commission")][1] == "pending"
    payment_make(order, 10_000_000)  # 10 % of the price, received after signing
    assert commissions_collection_check(order) == 1
    assert ledger(order=order)[(1, "deal", "commission")][1] == "payable"
