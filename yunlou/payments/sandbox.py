"""The sandbox gateway: our stand-in for WeChat Pay, speaking API v3 to the merchant side over HTTP.

It keeps its own books (SandboxTransaction, SandboxRefund) and never reads the merchant's Payment rows. It
checks every request's merchant signature, signs every response and notification with the platform key, and
encrypts notification resources with the APIv3 key — so the merchant code it exercises is the code that would
talk to WeChat Pay.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yunlou.payments import wechatpay_protocol as protocol
from yunlou.payments.config import WechatPayConfig, wechatpay_config
from yunlou.payments.models import SandboxRefund, SandboxTradeState, SandboxTransaction


class SandboxError(Exception):
    """An API v3 error answer: HTTP status, code and message, as WeChat Pay writes them."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def sandbox_request_authenticate(*, authorization: str, method: str, path: str, body: str,
                                 config: WechatPayConfig) -> protocol.Authorization:
    try:
        auth = protocol.request_verify(authorization=authorization, method=method, path=path, body=body,
                                       public_key_pem=config.merchant_public_key)
    except protocol.ProtocolError as error:
        raise SandboxError(401, "SIGN_ERROR", str(error)) from error
    if auth.mchid != config.mchid or auth.serial_no != config.merchant_serial_no:
        raise SandboxError(401, "SIGN_ERROR", "unknown merchant or certificate serial")
    return auth


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localtime().strftime('%Y%m%d')}{protocol.nonce_generate(18)}"


def _time_text(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def sandbox_transaction_open(*, mchid: str, data: dict, config: WechatPayConfig) -> SandboxTransaction:
    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    total = amount.get("total")
    required = {key: data.get(key) for key in ("appid", "mchid", "description", "out_trade_no", "notify_url")}
    if not all(isinstance(value, str) and value for value in required.values()):
        raise SandboxError(400, "PARAM_ERROR", "appid, mchid, description, out_trade_no and notify_url are required")
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        raise SandboxError(400, "PARAM_ERROR", "amount.total must be a positive number of fen")
    if data["mchid"] != mchid or data["appid"] != config.appid:
        raise SandboxError(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match")
    time_expire = parse_datetime(str(data.get("time_expire") or "")) if data.get("time_expire") else None
    existing = SandboxTransaction.objects.filter(mchid=mchid, out_trade_no=data["out_trade_no"]).first()
    if existing is not None:
        if existing.total_fen != total or existing.trade_state != SandboxTradeState.NOTPAY:
            raise SandboxError(400, "INVALID_REQUEST", "out_trade_no was used for another trade")
        return existing
    try:
        with transaction.atomic():
            return SandboxTransaction.objects.create(
                mchid=mchid, appid=data["appid"], out_trade_no=data["out_trade_no"][:32],
                description=data["description"][:127], attach=str(data.get("attach") or "")[:128], total_fen=total,
                notify_url=data["notify_url"][:500], time_expire=time_expire, prepay_id=f"wx{_number('')}",
                transaction_id=_number("42"),
            )
    except IntegrityError:
        raise SandboxError(400, "INVALID_REQUEST", "out_trade_no was used for another trade") from None


def sandbox_transaction_find(*, mchid: str, out_trade_no: str) -> SandboxTransaction:
    found = SandboxTransaction.objects.filter(mchid=mchid, out_trade_no=out_trade_no).first()
    if found is None:
        raise SandboxError(404, "ORDER_NOT_EXIST", "no such trade")
    return found


def sandbox_transaction_json(trade: SandboxTransaction) -> dict:
    answer = {"appid": trade.appid, "mchid": trade.mchid, "out_trade_no": trade.out_trade_no,
              "trade_state": trade.trade_state, "trade_state_desc": trade.get_trade_state_display(),
              "attach": trade.attach, "amount": {"total": trade.total_fen, "currency": "CNY"}}
    if trade.trade_state in {SandboxTradeState.SUCCESS, SandboxTradeState.REFUND}:
        answer.update({"transaction_id": trade.transaction_id, "trade_type": "MWEB", "bank_type": "OTHERS",
                       "success_time": _time_text(trade.success_time), "payer": {"openid": "sandbox-buyer"},
                       "amount": {"total": trade.total_fen, "payer_total": trade.total_fen, "currency": "CNY",
                                  "payer_currency": "CNY"}})
    return answer


def sandbox_transaction_pay(*, prepay_id: str) -> SandboxTransaction:
    """The buyer tapped 确认支付: the trade succeeds and the merchant is notified once this commits."""
    from yunlou.payments.tasks import sandbox_notification_send

    with transaction.atomic():
        trade = SandboxTransaction.objects.select_for_update().filter(prepay_id=prepay_id).first()
        if trade is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "no such trade")
        if trade.trade_state == SandboxTradeState.NOTPAY and trade.time_expire and trade.time_expire < timezone.now():
            trade.trade_state = SandboxTradeState.CLOSED
            trade.save(update_fields=["trade_state"])
        if trade.trade_state == SandboxTradeState.CLOSED:
            raise SandboxError(400, "ORDER_CLOSED", "the trade is closed")
        if trade.trade_state != SandboxTradeState.NOTPAY:
            return trade
        trade.trade_state, trade.success_time = SandboxTradeState.SUCCESS, timezone.now()
        trade.save(update_fields=["trade_state", "success_time"])
        transaction.on_commit(lambda: sandbox_notification_send.delay("transaction", trade.pk), robust=True)
    return trade


def sandbox_transaction_close(*, mchid: str, out_trade_no: str) -> None:
    with transaction.atomic():
        trade = SandboxTransaction.objects.select_for_update().filter(mchid=mchid, out_trade_no=out_trade_no).first()
        if trade is None:
            raise SandboxError(404, "ORDER_NOT_EXIST", "no such trade")
        if trade.trade_state in {SandboxTradeState.SUCCESS, SandboxTradeState.REFUND}:
            raise SandboxError(400, "ORDERPAID", "the trade is paid")
        trade.trade_state = SandboxTradeState.CLOSED
        trade.save(update_fields=["trade_state"])


def sandbox_refund_open(*, mchid: str, data: dict) -> SandboxRefund:
    """Accept a refund (PROCESSING); it completes and is notified once this commits, as WeChat Pay's does later."""
    from yunlou.payments.tasks import sandbox_refund_complete

    amount = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    refund_fen, total = amount.get("refund"), amount.get("total")
    out_refund_no = data.get("out_refund_no")
    if not isinstance(out_refund_no, str) or not out_refund_no:
        raise SandboxError(400, "PARAM_ERROR", "out_refund_no is required")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (refund_fen, total)):
        raise SandboxError(400, "PARAM_ERROR", "amount.refund and amount.total must be positive numbers of fen")
    with transaction.atomic():
        trades = SandboxTransaction.objects.select_for_update().filter(mchid=mchid)
        if data.get("transaction_id"):
            trade = trades.filter(transaction_id=data["transaction_id"]).first()
        else:
            trade = trades.filter(out_trade_no=data.get("out_trade_no") or "").first()
        if trade is None:
            raise SandboxError(404, "RESOURCE_NOT_EXISTS", "no such trade")
        existing = trade.refunds.filter(out_refund_no=out_refund_no).first()
        if existing is not None:  # the same refund asked again: answered, applied once
            return existing
        if trade.trade_state not in {SandboxTradeState.SUCCESS, SandboxTradeState.REFUND}:
            raise SandboxError(400, "INVALID_REQUEST", "the trade is not paid")
        if total != trade.total_fen:
            raise SandboxError(400, "INVALID_REQUEST", "amount.total differs from the trade")
        refunded = trade.refunds.aggregate(sum=Sum("refund_fen"))["sum"] or 0
        if refund_fen > trade.total_fen - refunded:
            raise SandboxError(403, "NOT_ENOUGH", "the refund exceeds what is left of the trade")
        refund = SandboxRefund.objects.create(
            transaction=trade, out_refund_no=out_refund_no[:64], refund_id=_number("50"), refund_fen=refund_fen,
            reason=str(data.get("reason") or "")[:80], notify_url=str(data.get("notify_url") or "")[:500],
        )
        transaction.on_commit(lambda: sandbox_refund_complete.delay(refund.pk), robust=True)
    return refund


def sandbox_refund_json(refund: SandboxRefund) -> dict:
    trade = refund.transaction
    return {"refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
            "transaction_id": trade.transaction_id, "out_trade_no": trade.out_trade_no, "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱", "status": refund.status,
            "success_time": _time_text(refund.success_time), "create_time": _time_text(refund.created_at),
            "amount": {"total": trade.total_fen, "refund": refund.refund_fen, "payer_total": trade.total_fen,
                       "payer_refund": refund.refund_fen, "currency": "CNY"}}


def sandbox_refund_succeed(*, refund_id: int) -> SandboxRefund:
    with transaction.atomic():
        refund = SandboxRefund.objects.select_related("transaction").select_for_update().get(pk=refund_id)
        if refund.status != "SUCCESS":
            refund.status, refund.success_time = "SUCCESS", timezone.now()
            refund.save(update_fields=["status", "success_time"])
            SandboxTransaction.objects.filter(pk=refund.transaction_id).update(trade_state=SandboxTradeState.REFUND)
    return refund


# --- notifications ---

def notification_sign(*, event_id: str, event_type: str, summary: str, original_type: str, payload: dict,
                      config: WechatPayConfig, create_time: str = "") -> tuple[dict[str, str], str]:
    """A notification as the platform sends it: headers and body. Encrypted afresh and signed with a new
    timestamp and nonce on every delivery, as WeChat Pay does on its retries."""
    resource = protocol.resource_encrypt(apiv3_key=config.apiv3_key, payload=payload, original_type=original_type,
                                         associated_data=original_type)
    body = protocol.notification_body(event_id=event_id, event_type=event_type, summary=summary, resource=resource,
                                      create_time=create_time or _time_text(timezone.now()))
    headers = protocol.platform_headers(body=body, private_key_pem=config.platform_private_key,
                                        serial=config.platform_public_key_id)
    return headers, body


def sandbox_notification_build(*, kind: str, object_id: int,
                               config: WechatPayConfig | None = None) -> tuple[str, dict[str, str], str]:
    """URL, headers and body of the notification for a paid trade ("transaction") or a refund ("refund")."""
    config = config or wechatpay_config()
    if kind == "transaction":
        trade = SandboxTransaction.objects.get(pk=object_id)
        payload = sandbox_transaction_json(trade)
        payload["trade_state"], payload["trade_state_desc"] = "SUCCESS", "支付成功"
        headers, body = notification_sign(event_id=f"EV-{trade.transaction_id}", event_type="TRANSACTION.SUCCESS",
                                          summary="支付成功", original_type="transaction", payload=payload,
                                          config=config)
        return trade.notify_url, headers, body
    refund = SandboxRefund.objects.select_related("transaction").get(pk=object_id)
    payload = sandbox_refund_json(refund)
    payload.update({"mchid": refund.transaction.mchid, "refund_status": payload.pop("status")})
    headers, body = notification_sign(event_id=f"EV-{refund.refund_id}", event_type=f"REFUND.{refund.status}",
                                      summary="退款成功", original_type="refund", payload=payload, config=config)
    return refund.notify_url or refund.transaction.notify_url, headers, body
