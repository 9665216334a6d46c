"""对账: the beat asks the gateway about money whose notification never came, and sends again refunds the gateway
never received — over real HTTP against the sandbox, so a lost callback or an unreachable gateway loses nothing."""

import datetime

import pytest
from django.utils import timezone

from yunlou.payments.gateways import GatewayUnavailable
from yunlou.payments.models import PaymentStatus, RefundStatus, SandboxRefund
from yunlou.payments.services import payment_refund, payments_reconcile
from yunlou.payments.tests.test_sandbox_flow import buyer_taps, open_deposit, paid_with_the_news_lost

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("yunlou.payments.tests.urls")]


def later(minutes=3):
    return timezone.now() + datetime.timedelta(minutes=minutes)


class Unreachable:
    def refund(self, *args, **kwargs):
        raise GatewayUnavailable("the payment service cannot be reached")


def test_a_payment_whose_notification_never_came_is_settled_by_the_beat(live_wechatpay, live_server, organization,
                                                                        handled):
    payment = paid_with_the_news_lost(live_server, organization)
    assert payments_reconcile() == {"payments": 0, "refunds": 0}  # too soon: the notification may be on its way
    assert payments_reconcile(now=later()) == {"payments": 1, "refunds": 0}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert handled.calls == [("deal:42", 2_000_000, PaymentStatus.PAID)]
    assert payments_reconcile(now=later()) == {"payments": 0, "refunds": 0}  # once


def test_a_refund_the_gateway_never_received_goes_out_on_the_next_run_once(live_wechatpay, organization, handled):
    payment = open_deposit(organization)
    buyer_taps(payment.pay_url, "pay")
    payment.refresh_from_db()
    with pytest.raises(GatewayUnavailable):
        payment_refund(payment=payment, amount_fen=2_000_000, reason="退房", actor=None, gateway=Unreachable())
    refund = payment.refunds.get()
    assert refund.status == RefundStatus.PENDING and not SandboxRefund.objects.exists()

    assert payments_reconcile(now=later(), gateway=Unreachable()) == {"payments": 0, "refunds": 0}  # still down
    payments_reconcile(now=later())
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.REFUNDED, 2_000_000)
    payments_reconcile(now=later())
    assert SandboxRefund.objects.count() == 1  # sent again, applied once


def test_a_refund_whose_notification_was_lost_is_settled_from_the_gateways_answer(live_wechatpay, organization,
                                                                                   handled, monkeypatch):
    from yunlou.payments import tasks

    payment = open_deposit(organization)
    buyer_taps(payment.pay_url, "pay")
    payment.refresh_from_db()
    monkeypatch.setattr(tasks.sandbox_notification_send, "delay", lambda *args: None)  # the news is lost
    refund = payment_refund(payment=payment, amount_fen=500_000, reason="差价", actor=None)
    assert refund.status == RefundStatus.PENDING
    assert SandboxRefund.objects.get().status == "SUCCESS"  # done at the gateway; its news never arrived
    assert payments_reconcile(now=later()) == {"payments": 0, "refunds": 1}
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.PARTLY_REFUNDED, 500_000)
