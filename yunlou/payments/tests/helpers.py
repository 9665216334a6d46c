"""Building payments and the gateway's notifications for tests, with the run's keys."""

import json

from django.utils import timezone

from yunlou.payments import wechatpay_protocol as protocol
from yunlou.payments.models import Payment, PaymentChannel
from yunlou.payments.sandbox import notification_sign

NOTIFY_PATH = "/pay/notify/wechat/"


def open_payment(organization, *, amount_fen=2_000_000, reference="deal:42", out_trade_no="YLTEST0001"):
    """An online payment awaiting the buyer, as payment_create leaves it (without the gateway round trip)."""
    return Payment.objects.create(organization=organization, reference=reference, description="云栖府 3-1201 定金",
                                  amount_fen=amount_fen, channel=PaymentChannel.SANDBOX_WECHAT,
                                  out_trade_no=out_trade_no)


def paid_notification(config, payment, *, transaction_id="4200000001", total=None):
    payload = {"appid": config.appid, "mchid": config.mchid, "out_trade_no": payment.out_trade_no,
               "transaction_id": transaction_id, "trade_type": "MWEB", "trade_state": "SUCCESS",
               "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": payment.reference,
               "success_time": timezone.localtime().isoformat(timespec="seconds"), "payer": {"openid": "o-test"},
               "amount": {"total": payment.amount_fen if total is None else total, "payer_total": payment.amount_fen,
                          "currency": "CNY", "payer_currency": "CNY"}}
    return notification_sign(event_id=f"EV-{transaction_id}", event_type="TRANSACTION.SUCCESS", summary="支付成功",
                             original_type="transaction", payload=payload, config=config)


def refund_notification(config, payment, *, out_refund_no, refund_fen, transaction_id="4200000001"):
    payload = {"mchid": config.mchid, "out_trade_no": payment.out_trade_no, "transaction_id": transaction_id,
               "out_refund_no": out_refund_no, "refund_id": f"50{out_refund_no}", "refund_status": "SUCCESS",
               "success_time": timezone.localtime().isoformat(timespec="seconds"),
               "amount": {"total": payment.amount_fen, "refund": refund_fen, "payer_total": payment.amount_fen,
                          "payer_refund": refund_fen}}
    return notification_sign(event_id=f"EV-{out_refund_no}", event_type="REFUND.SUCCESS", summary="退款成功",
                             original_type="refund", payload=payload, config=config)


def resign(config, headers, body, *, timestamp=None, nonce=None):
    """The same body signed again, as the gateway does when it retries (new timestamp and nonce)."""
    return protocol.platform_headers(body=body, private_key_pem=config.platform_private_key,
                                     serial=config.platform_public_key_id, timestamp=timestamp, nonce=nonce), body


def post_notification(client, headers, body):
    response = client.post(NOTIFY_PATH, data=body, content_type="application/json", headers=headers)
    return response, (json.loads(response.content) if response.content else None)
