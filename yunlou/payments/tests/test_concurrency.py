"""Two deliveries of one payment's notification at the same instant, on two connections: counted once."""

import pytest

from yunlou.core.tests.concurrency import postgres_only, race
from yunlou.payments.models import NotificationResult, Payment, PaymentNotification, PaymentStatus
from yunlou.payments.services import NotificationRejected, payment_notification_handle
from yunlou.payments.tests.helpers import open_payment, paid_notification, resign

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def test_two_deliveries_of_one_paid_event_at_once_count_the_payment_once(wechatpay, organization, handled):
    for attempt in range(3):
        payment = open_payment(organization, out_trade_no=f"YLRACE{attempt}")
        headers, body = paid_notification(wechatpay, payment, transaction_id=f"42RACE{attempt}")
        second_headers, _ = resign(wechatpay, headers, body)
        handled.calls.clear()
        outcomes = race(lambda h=headers, b=body: payment_notification_handle(headers=h, body=b.encode()),
                        lambda h=second_headers, b=body: payment_notification_handle(headers=h, body=b.encode()))
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        assert sorted(o.result for o in outcomes) == [NotificationResult.APPLIED, NotificationResult.DUPLICATE]
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PAID
        assert len(handled.calls) == 1


def test_one_notification_sent_twice_at_once_is_applied_once_and_the_replay_refused(wechatpay, organization,
                                                                                     handled):
    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    outcomes = race(*[lambda: payment_notification_handle(headers=headers, body=body.encode())] * 2)
    assert sum(isinstance(o, NotificationRejected) and o.status == 401 for o in outcomes) == 1, outcomes
    assert PaymentNotification.objects.filter(result=NotificationResult.APPLIED).count() == 1
    assert len(handled.calls) == 1
