"""Counter payments recorded by finance, audited; and the database refusing impossible money."""

import pytest
from django.db import IntegrityError, transaction

from yunlou.accounts.tests.factories import make_staff
from yunlou.core.errors import Conflict, Forbidden, ValidationFailed
from yunlou.core.models import AuditLog
from yunlou.payments.handlers import PaymentRefused
from yunlou.payments.models import Payment, PaymentChannel, PaymentNotification, PaymentStatus, RefundStatus
from yunlou.payments.services import payment_record_counter, payment_refund
from yunlou.payments.tests.helpers import open_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(organization):
    return make_staff(role="finance", organization=organization, display_name="赵会计")


def record(staff, **fields):
    return payment_record_counter(**{"staff": staff, "reference": "deal:42", "amount_fen": 2_000_000,
                                     "channel": PaymentChannel.COUNTER_POS, "voucher": "POS-0001", **fields})


def test_finance_records_a_card_payment_that_is_paid_audited_and_heard_by_the_handler(finance, handled):
    payment = record(finance)
    assert payment.status == PaymentStatus.PAID and payment.recorded_by == finance.user
    assert handled.calls == [("deal:42", 2_000_000, PaymentStatus.PAID)]
    entry = AuditLog.objects.get(action="payment.record_counter")
    assert entry.actor == finance.user and entry.target_id == str(payment.pk)
    assert entry.changes["voucher"] == "POS-0001" and entry.organization_id == finance.organization.pk


def test_a_consultant_cannot_record_a_counter_payment(organization):
    consultant = make_staff(role="consultant", organization=organization)
    with pytest.raises(Forbidden):
        record(consultant)
    assert not Payment.objects.exists()


def test_the_same_slip_cannot_be_recorded_twice(finance):
    record(finance)
    with pytest.raises(Conflict) as twice:
        record(finance, reference="deal:43")
    assert twice.value.field == "voucher"
    assert Payment.objects.count() == 1


def test_a_counter_payment_the_handler_refuses_is_not_recorded(finance, handled):
    handled.state["refuse"] = "选房时间已过"
    with pytest.raises(PaymentRefused):
        record(finance)
    assert not Payment.objects.exists() and not AuditLog.objects.exists()


@pytest.mark.parametrize("fields, field", [
    ({"amount_fen": 0}, "amount_fen"), ({"reference": "42"}, "reference"),
    ({"channel": PaymentChannel.SANDBOX_WECHAT}, "channel"), ({"voucher": " "}, "voucher"),
])
def test_bad_counter_input_names_the_field_and_records_nothing(finance, fields, field):
    with pytest.raises(ValidationFailed) as bad:
        record(finance, **fields)
    assert bad.value.field == field
    assert not Payment.objects.exists()


def test_a_counter_refund_is_settled_at_once_and_audited(finance):
    payment = record(finance)
    refund = payment_refund(payment=payment, amount_fen=2_000_000, reason="退房", actor=finance)
    payment.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.REFUNDED, 2_000_000)
    assert AuditLog.objects.filter(action="payment.refund", actor=finance.user).count() == 1
    with pytest.raises(Conflict):
        payment_refund(payment=payment, amount_fen=1, reason="", actor=finance)


def test_finance_of_another_company_cannot_refund(finance):
    from yunlou.accounts.tests.factories import OrganizationFactory

    payment = record(finance)
    stranger = make_staff(role="finance", organization=OrganizationFactory())
    with pytest.raises(Forbidden):
        payment_refund(payment=payment, amount_fen=1, reason="", actor=stranger)


def _violates(**changes):
    try:
        with transaction.atomic():
            Payment.objects.filter(pk=changes.pop("pk")).update(**changes)
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_zero_amounts_and_refunds_beyond_the_amount(organization):
    payment = open_payment(organization, amount_fen=100)
    assert _violates(pk=payment.pk, amount_fen=0)
    assert _violates(pk=payment.pk, status=PaymentStatus.PAID, paid_at=payment.created_at, refunded_fen=101)
    assert _violates(pk=payment.pk, status=PaymentStatus.REFUNDED, paid_at=payment.created_at, refunded_fen=99)
    assert _violates(pk=payment.pk, status=PaymentStatus.PARTLY_REFUNDED, paid_at=payment.created_at,
                     refunded_fen=100)
    assert _violates(pk=payment.pk, status=PaymentStatus.PAID)  # received without paid_at
    assert not _violates(pk=payment.pk, status=PaymentStatus.PARTLY_REFUNDED, paid_at=payment.created_at,
                         refunded_fen=99)


def test_a_gateway_transaction_belongs_to_one_payment_and_a_nonce_is_spent_once(organization):
    first = open_payment(organization, out_trade_no="A1")
    second = open_payment(organization, out_trade_no="A2")
    Payment.objects.filter(pk=first.pk).update(transaction_id="4200")
    assert _violates(pk=second.pk, transaction_id="4200")
    PaymentNotification.objects.create(nonce="N1", result="applied")
    PaymentNotification.objects.create(nonce="N1", result="bad_signature")  # a forgery does not spend it
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentNotification.objects.create(nonce="N1", result="duplicate")
