"""End to end over real HTTP: the merchant opens a trade at the sandbox (signed by the wechatpayv3 SDK), the buyer
pays on the sandbox's page, and the sandbox calls the merchant back, signed and encrypted like WeChat Pay."""

import re

import pytest
import requests

from yunlou.core.errors import ValidationFailed
from yunlou.payments.models import (
    PaymentNotification,
    PaymentStatus,
    RefundStatus,
    SandboxTradeState,
    SandboxTransaction,
)
from yunlou.payments.services import payment_close, payment_create, payment_refund, payment_sync
from yunlou.payments.tests import urls as test_urls

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("yunlou.payments.tests.urls")]


def buyer_taps(pay_url: str, action: str) -> requests.Response:
    session = requests.Session()
    page = session.get(pay_url, timeout=10)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(pay_url, data={"csrfmiddlewaretoken": token, "action": action},
                        headers={"Referer": pay_url}, timeout=30)


def open_deposit(organization, amount_fen=2_000_000):
    return payment_create(organization=organization, reference="deal:42", amount_fen=amount_fen,
                          description="云栖府 3-1201 定金")


def test_a_buyer_pays_on_the_sandbox_page_and_the_callback_marks_the_payment_paid(live_wechatpay, organization,
                                                                                 handled):
    payment = open_deposit(organization)
    assert payment.pay_url.startswith(f"{live_wechatpay.base_url}/checkout/")
    page = requests.get(payment.pay_url, timeout=10)
    # 确认支付 and 取消 (their Chinese comes with the catalogue), the amount in yuan, a phone-width page
    assert 'value="pay"' in page.text and 'value="cancel"' in page.text and "¥20,000" in page.text
    assert 'name="viewport"' in page.text

    answer = buyer_taps(payment.pay_url, "pay")
    assert 'data-outcome="paid"' in answer.text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.transaction_id == SandboxTransaction.objects.get().transaction_id
    assert handled.calls == [("deal:42", 2_000_000, PaymentStatus.PAID)]
    assert PaymentNotification.objects.get().event_type == "TRANSACTION.SUCCESS"


def test_a_buyer_who_cancels_leaves_the_payment_open_and_it_can_be_closed(live_wechatpay, organization):
    payment = open_deposit(organization)
    assert 'data-outcome="cancelled"' in buyer_taps(payment.pay_url, "cancel").text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    payment_close(payment=payment)
    assert payment.status == PaymentStatus.CLOSED
    assert SandboxTransaction.objects.get().trade_state == SandboxTradeState.CLOSED
    assert 'data-outcome="closed"' in requests.get(payment.pay_url, timeout=10).text


def test_the_sandbox_retries_a_callback_the_merchant_did_not_accept(live_wechatpay, live_server, organization):
    payment = open_deposit(organization)
    SandboxTransaction.objects.update(notify_url=f"{live_server.url}/test-flaky-notify/")
    test_urls.FLAKY.update(fail=2, calls=0)
    buyer_taps(payment.pay_url, "pay")
    payment.refresh_from_db()
    assert test_urls.FLAKY["calls"] == 3
    assert payment.status == PaymentStatus.PAID


def paid_with_the_news_lost(live_server, organization):
    """A deposit the buyer paid at the sandbox whose every notification the merchant failed to take."""
    payment = open_deposit(organization)
    SandboxTransaction.objects.update(notify_url=f"{live_server.url}/test-flaky-notify/")
    test_urls.FLAKY.update(fail=100, calls=0)
    buyer_taps(payment.pay_url, "pay")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CREATED
    return payment


def test_a_payment_whose_callback_never_came_is_found_paid_by_asking_the_gateway(live_wechatpay, live_server,
                                                                                organization):
    payment = paid_with_the_news_lost(live_server, organization)
    payment_sync(payment=payment)
    assert payment.status == PaymentStatus.PAID


def test_a_refused_payment_is_refunded_in_full(live_wechatpay, organization, handled):
    handled.state["refuse"] = "选房时间已过，房源已释放"
    payment = open_deposit(organization)
    buyer_taps(payment.pay_url, "pay")
    payment.refresh_from_db()
    assert payment.refusal == "选房时间已过，房源已释放"
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.REFUNDED, 2_000_000)
    refund = payment.refunds.get()
    assert refund.status == RefundStatus.SUCCEEDED and refund.requested_by is None


def test_finance_refunds_part_then_the_rest_and_no_more(live_wechatpay, organization, handled):
    from yunlou.accounts.tests.factories import make_staff

    finance = make_staff(role="finance", organization=organization, projects=[])
    payment = open_deposit(organization)
    buyer_taps(payment.pay_url, "pay")

    first = payment_refund(payment=payment, amount_fen=500_000, reason="差价退还", actor=finance)
    payment.refresh_from_db()
    assert first.status == RefundStatus.SUCCEEDED and first.refund_id
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.PARTLY_REFUNDED, 500_000)

    with pytest.raises(ValidationFailed) as too_much:
        payment_refund(payment=payment, amount_fen=1_500_001, reason="", actor=finance)
    assert too_much.value.field == "amount_fen"

    payment_refund(payment=payment, amount_fen=1_500_000, reason="退房", actor=finance)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.REFUNDED, 2_000_000)
    assert PaymentNotification.objects.filter(event_type="REFUND.SUCCESS").count() == 2
