"""结佣: batches deduct what earners owe back, pay once, hold an entry once, and follow refunds."""

import pytest

from yunlou.brokers.models import CommissionEntry, EntryKind, EntryStatus, ReferralStatus, SettlementStatus
from yunlou.brokers.services.commissions import (
    referral_order_refunded,
    referral_order_signed,
    referral_order_subscribed,
)
from yunlou.brokers.services.settlements import settlement_create, settlement_pay
from yunlou.brokers.services.visits import referral_visit_confirm
from yunlou.brokers.tests.factories import broker_make, order_make, report, rules_make, staff_make
from yunlou.core.errors import Conflict, Forbidden, ValidationFailed
from yunlou.launch.models import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(project, building):
    class World:
        desk = staff_make(project, "receptionist")
        channel = staff_make(project, "channel")
        finance = staff_make(project, "finance")
        units = iter(building.units.order_by("code"))

        def deal(self, broker, phone, *, signed=True):
            """A visited report of `phone` by `broker`, and its order subscribed (and signed)."""
            referral = report(broker, project, phone)
            referral_visit_confirm(staff=self.desk, referral_id=referral.pk)
            order = order_make(project, next(self.units), phone=phone,
                               status=OrderStatus.SIGNED if signed else OrderStatus.SUBSCRIBED)
            referral_order_subscribed(order)
            return order

        def payable(self, user):
            return list(CommissionEntry.objects.filter(beneficiary=user, status=EntryStatus.PAYABLE)
                        .values_list("pk", flat=True))

        def settle(self, ids):
            batch = settlement_create(staff=self.channel, entry_ids=ids)
            return settlement_pay(staff=self.finance, batch_id=batch.pk)

    rules_make(project, number_mode="full", direct_mode="fixed", direct_fixed=1_000_000, upline_mode="none")
    return World()


def test_a_batch_deducts_what_the_earner_owes_back(project, world):
    zhao = broker_make(project.organization)
    refunded = world.deal(zhao, "13800000001")
    world.settle(world.payable(zhao.user))
    referral_order_refunded(refunded)  # he owes the ¥10,000 back
    rules_make(project, number_mode="full", direct_mode="fixed", direct_fixed=1_500_000, upline_mode="none")
    world.deal(zhao, "13800000002")
    batch = settlement_create(staff=world.channel, entry_ids=world.payable(zhao.user))
    assert batch.total == 500_000
    assert sorted(batch.entries.values_list("amount", flat=True)) == [-1_000_000, 1_500_000]
    settlement_pay(staff=world.finance, batch_id=batch.pk)
    clawback = CommissionEntry.objects.get(kind=EntryKind.CLAWBACK)
    assert (clawback.status, clawback.batch_id) == (EntryStatus.PAID, batch.pk)


def test_an_earner_who_owes_more_than_he_is_paid_is_left_out(project, world):
    zhao, qian = broker_make(project.organization), broker_make(project.organization)
    refunded = world.deal(zhao, "13800000001")
    world.settle(world.payable(zhao.user))
    referral_order_refunded(refunded)
    rules_make(project, number_mode="full", direct_mode="fixed", direct_fixed=100_000, upline_mode="none")
    world.deal(zhao, "13800000002")
    world.deal(qian, "13800000003")
    with pytest.raises(ValidationFailed):
        settlement_create(staff=world.channel, entry_ids=world.payable(zhao.user))
    batch = settlement_create(staff=world.channel, entry_ids=world.payable(zhao.user) + world.payable(qian.user))
    assert batch.total == 100_000
    assert set(batch.entries.values_list("beneficiary_id", flat=True)) == {qian.user.pk}
    assert CommissionEntry.objects.filter(beneficiary=zhao.user, batch__isnull=True,
                                          status__in=(EntryStatus.PAYABLE, EntryStatus.OWED)).count() == 2


def test_a_paid_batch_cannot_be_paid_again(project, world):
    zhao = broker_make(project.organization)
    world.deal(zhao, "13800000001")
    batch = world.settle(world.payable(zhao.user))
    assert batch.status == SettlementStatus.PAID
    paid_at = CommissionEntry.objects.get().paid_at
    with pytest.raises(Conflict) as caught:
        settlement_pay(staff=world.finance, batch_id=batch.pk)
    assert caught.value.code == "already_paid"
    assert CommissionEntry.objects.get().paid_at == paid_at


def test_an_entry_goes_into_one_batch_only(project, world):
    zhao = broker_make(project.organization)
    world.deal(zhao, "13800000001")
    ids = world.payable(zhao.user)
    settlement_create(staff=world.channel, entry_ids=ids)
    with pytest.raises(Conflict):
        settlement_create(staff=world.channel, entry_ids=ids)


def test_only_payable_entries_can_be_settled(project, world):
    zhao = broker_make(project.organization)
    world.deal(zhao, "13800000001", signed=False)
    with pytest.raises(Conflict):
        settlement_create(staff=world.channel, entry_ids=list(CommissionEntry.objects.values_list("pk", flat=True)))
    with pytest.raises(ValidationFailed):
        settlement_create(staff=world.channel, entry_ids=[])


def test_a_refund_of_a_batched_unpaid_entry_recounts_the_batch(project, world):
    zhao, qian = broker_make(project.organization), broker_make(project.organization)
    refunded = world.deal(zhao, "13800000001")
    world.deal(qian, "13800000002")
    batch = settlement_create(staff=world.channel, entry_ids=world.payable(zhao.user) + world.payable(qian.user))
    assert batch.total == 2_000_000
    referral_order_refunded(refunded)
    batch.refresh_from_db()
    assert batch.total == 1_000_000
    assert set(batch.entries.values_list("beneficiary_id", flat=True)) == {qian.user.pk}
    reversed_entry = CommissionEntry.objects.get(beneficiary=zhao.user)
    assert (reversed_entry.status, reversed_entry.batch_id) == (EntryStatus.REVERSED, None)
    settlement_pay(staff=world.finance, batch_id=batch.pk)
    assert CommissionEntry.objects.get(beneficiary=qian.user).status == EntryStatus.PAID


def test_a_signed_report_whose_entries_are_all_paid_is_settled(project, world):
    zhao = broker_make(project.organization)
    order = world.deal(zhao, "13800000001", signed=False)
    referral = zhao.referrals.get()
    assert referral.status == ReferralStatus.SUBSCRIBED
    order.status = OrderStatus.SIGNED
    order.save(update_fields=["status"])
    referral_order_signed(order)
    world.settle(world.payable(zhao.user))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SETTLED


def test_only_the_channel_manager_approves_and_only_finance_pays(project, world):
    zhao = broker_make(project.organization)
    world.deal(zhao, "13800000001")
    with pytest.raises(Forbidden):
        settlement_create(staff=world.finance, entry_ids=world.payable(zhao.user))
    batch = settlement_create(staff=world.channel, entry_ids=world.payable(zhao.user))
    with pytest.raises(Forbidden):
        settlement_pay(staff=world.channel, batch_id=batch.pk)


def test_a_channel_manager_does_not_approve_his_own_second_level_commission(project, world):
    from yunlou.brokers.services.settlements import settlement_create as create
    from yunlou.core.errors import Forbidden

    rules_make(project, number_mode="full", direct_mode="fixed", direct_fixed=1_000_000, upline_mode="fixed",
               upline_fixed=100_000)
    recruit = broker_make(project.organization, upline=world.channel.user)
    world.deal(recruit, "13812340001")
    own = world.payable(world.channel.user)
    with pytest.raises(Forbidden) as refused:
        create(staff=world.channel, entry_ids=own)
    assert refused.value.code == "own_commission"
    assert CommissionEntry.objects.filter(pk__in=own, batch__isnull=True).count() == len(own)


def test_finance_of_other_projects_cannot_pay_a_batch_of_this_one(project, world):
    from yunlou.accounts.tests.factories import make_staff
    from yunlou.catalogue.tests.factories import ProjectFactory
    from yunlou.core.errors import Forbidden

    zhao = broker_make(project.organization)
    world.deal(zhao, "13812340002")
    batch = settlement_create(staff=world.channel, entry_ids=world.payable(zhao.user))
    elsewhere = make_staff(role="finance", organization=project.organization,
                           projects=[ProjectFactory(organization=project.organization, name="二期")])
    with pytest.raises(Forbidden):
        settlement_pay(staff=elsewhere, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "approved"
