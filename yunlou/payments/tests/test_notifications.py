"""The merchant's notification endpoint: genuine news is applied once; anything forged, replayed, stale, tampered
or wrong is refused with WeChat's {"code": "FAIL"} and changes nothing."""

import base64
import json
import time

import pytest

from yunlou.payments.models import NotificationResult, Payment, PaymentNotification, PaymentStatus, Refund
from yunlou.payments.tests.helpers import (
    open_payment,
    paid_notification,
    post_notification,
    refund_notification,
    resign,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yunlou.payments.tests.urls")]


def test_a_genuine_paid_notification_marks_the_payment_paid_and_tells_its_handler(client, wechatpay, organization,
                                                                                   handled):
    payment = open_payment(organization)
    response, _ = post_notification(client, *paid_notification(wechatpay, payment))
    assert response.status_code == 204
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert payment.transaction_id == "4200000001" and payment.paid_at is not None
    assert handled.calls == [("deal:42", 2_000_000, PaymentStatus.PAID)]
    assert PaymentNotification.objects.get().result == NotificationResult.APPLIED


def test_the_same_event_delivered_again_is_acknowledged_and_changes_nothing(client, wechatpay, organization,
                                                                             handled):
    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    post_notification(client, headers, body)
    paid_at = Payment.objects.get().paid_at
    response, _ = post_notification(client, *resign(wechatpay, headers, body))
    assert response.status_code == 204
    assert Payment.objects.get().paid_at == paid_at
    assert len(handled.calls) == 1
    assert list(PaymentNotification.objects.order_by("id").values_list("result", flat=True)) == [
        NotificationResult.APPLIED, NotificationResult.DUPLICATE]


def test_a_notification_signed_with_another_key_is_refused_as_forged(client, wechatpay, organization, handled,
                                                                      settings):
    from yunlou.payments import wechatpay_protocol as protocol

    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    forger_key = protocol.rsa_private_key_generate()
    forged = protocol.platform_headers(body=body, private_key_pem=forger_key, serial=wechatpay.platform_public_key_id)
    response, answer = post_notification(client, forged, body)
    assert response.status_code == 401 and answer["code"] == "FAIL"
    assert Payment.objects.get().status == PaymentStatus.CREATED and handled.calls == []
    assert PaymentNotification.objects.get().result == NotificationResult.BAD_SIGNATURE


def test_a_notification_whose_body_was_changed_after_signing_is_refused(client, wechatpay, organization):
    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    response, answer = post_notification(client, headers, body.replace("TRANSACTION.SUCCESS", "REFUND.SUCCESS"))
    assert response.status_code == 401 and answer["code"] == "FAIL"
    assert Payment.objects.get().status == PaymentStatus.CREATED


def test_a_replayed_nonce_is_refused_and_a_forgery_does_not_spend_a_nonce(client, wechatpay, organization):
    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    assert post_notification(client, headers, body)[0].status_code == 204
    response, answer = post_notification(client, headers, body)
    assert response.status_code == 401 and answer == {"code": "FAIL", "message": "nonce already used"}
    assert PaymentNotification.objects.filter(result=NotificationResult.REPLAYED).count() == 1
    assert Payment.objects.get().status == PaymentStatus.PAID


def test_a_notification_older_than_five_minutes_is_refused_as_stale(client, wechatpay, organization):
    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    stale_headers, _ = resign(wechatpay, headers, body, timestamp=int(time.time()) - 301)
    response, answer = post_notification(client, stale_headers, body)
    assert response.status_code == 401 and answer["code"] == "FAIL"
    assert Payment.objects.get().status == PaymentStatus.CREATED
    assert PaymentNotification.objects.get().result == NotificationResult.STALE


def test_a_tampered_ciphertext_is_refused_even_when_the_envelope_is_signed(client, wechatpay, organization):
    payment = open_payment(organization)
    headers, body = paid_notification(wechatpay, payment)
    envelope = json.loads(body)
    ciphertext = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    ciphertext[5] ^= 0x01
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(ciphertext)).decode()
    # Signed by the platform key, so only the AEAD tag can tell: the ciphertext was changed on the way.
    response, answer = post_notification(client, *resign(wechatpay, headers, json.dumps(envelope)))
    assert response.status_code == 400 and answer["code"] == "FAIL"
    assert Payment.objects.get().status == PaymentStatus.CREATED
    assert PaymentNotification.objects.get().result == NotificationResult.BAD_CIPHERTEXT


def test_a_paid_notification_for_another_amount_is_refused_and_the_payment_stays_open(client, wechatpay,
                                                                                     organization, handled):
    payment = open_payment(organization)
    response, answer = post_notification(client, *paid_notification(wechatpay, payment, total=1))
    assert response.status_code == 400 and "amount" in answer["message"]
    assert Payment.objects.get().status == PaymentStatus.CREATED and handled.calls == []
    assert PaymentNotification.objects.get().result == NotificationResult.REJECTED


def test_a_notification_for_an_unknown_trade_is_refused(client, wechatpay, organization):
    payment = open_payment(organization)
    payment.out_trade_no = "YLNOSUCH"
    response, answer = post_notification(client, *paid_notification(wechatpay, payment))
    assert response.status_code == 400 and answer["message"] == "unknown out_trade_no"


def test_a_refund_notification_that_overtakes_the_pay_notification_counts_both_once(client, wechatpay,
                                                                                     organization, handled):
    payment = open_payment(organization)
    refund_headers, refund_body = refund_notification(wechatpay, payment, out_refund_no="YR1", refund_fen=500_000)
    assert post_notification(client, refund_headers, refund_body)[0].status_code == 204
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.PARTLY_REFUNDED, 500_000)
    assert payment.transaction_id == "4200000001"
    # the late pay notification, and the refund notification again, are acknowledged and count nothing twice
    assert post_notification(client, *paid_notification(wechatpay, payment))[0].status_code == 204
    assert post_notification(client, *resign(wechatpay, refund_headers, refund_body))[0].status_code == 204
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_fen) == (PaymentStatus.PARTLY_REFUNDED, 500_000)
    assert Refund.objects.get().amount_fen == 500_000
    assert len(handled.calls) == 1


def test_a_refund_notification_larger_than_what_is_left_is_refused(client, wechatpay, organization):
    payment = open_payment(organization)
    post_notification(client, *paid_notification(wechatpay, payment))
    post_notification(client, *refund_notification(wechatpay, payment, out_refund_no="YR1", refund_fen=1_500_000))
    response, answer = post_notification(
        client, *refund_notification(wechatpay, payment, out_refund_no="YR2", refund_fen=600_000))
    assert response.status_code == 400 and "exceeds" in answer["message"]
    assert Payment.objects.get().refunded_fen == 1_500_000
