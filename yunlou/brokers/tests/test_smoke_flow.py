import pytest

from yunlou.accounts.tests.factories import make_staff
from yunlou.brokers.models import CommissionEntry, EntryStatus, ReferralStatus
from yunlou.brokers.services.commissions import referral_order_refunded, referral_order_signed, \
    referral_order_subscribed
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.services.settlements import settlement_create, settlement_pay
from yunlou.brokers.services.visits import referral_find, referral_visit_confirm
from yunlou.brokers.tests.factories import broker_make, order_make, rules_make

pytestmark = pytest.mark.django_db


def test_journey_two(project, building, consultant):
    rules_make(project, number_mode="m34")
    zhao = broker_make(project.organization, upline=consultant.user)
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    assert referral.status == ReferralStatus.REPORTED, referral.reject_reason
    desk = make_staff(role="receptionist", organization=project.organization, projects=[project])
    [found] = referral_find(staff=desk, project_id=project.pk, phone="13812346621")
    assert found.pk == referral.pk
    referral = referral_visit_confirm(staff=desk, referral_id=referral.pk, phone="13812346621")
    assert referral.status == ReferralStatus.VISITED
    other = broker_make(project.organization, phone="13600009999")
    again = referral_create(user=other.user, project_id=project.pk, customer_name="刘", phone="13812346621")
    assert again.status == ReferralStatus.REJECTED
    unit = building.units.first()
    order = order_make(project, unit, phone="13812346621")
    referral_order_subscribed(order)
    entries = {(e.level, e.stage): (e.amount, e.status) for e in CommissionEntry.objects.all()}
    assert entries == {(1, "deal"): (1_430_000, "pending"), (2, "deal"): (143_000, "pending")}
    order.status = "signed"
    order.save()
    referral_order_signed(order)
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {"payable"}
    channel = make_staff(role="channel", organization=project.organization, projects=[project])
    finance = make_staff(role="finance", organization=project.organization, projects=[project])
    batch = settlement_create(staff=channel, entry_ids=list(CommissionEntry.objects.values_list("pk", flat=True)))
    settlement_pay(staff=finance, batch_id=batch.pk)
    assert set(CommissionEntry.objects.values_list("status", flat=True)) == {"paid"}
    referral_order_refunded(order)
    assert CommissionEntry.objects.filter(status=EntryStatus.OWED).count() == 2
