"""The adapter between our payments and a payment gateway, and its WeChat Pay API v3 implementation.

`SandboxWechatGateway` talks to the gateway as a merchant talks to WeChat Pay: over HTTP, each request signed
with the merchant's RSA key, each response's platform signature checked. The requests go through the
`wechatpayv3` SDK, which builds and signs them; the SDK has no parameter for the gateway's address (1.3 keeps
`https://api.mch.weixin.qq.com` in `Core._gate_way`, read on every request), so the client is pointed at
PAYMENT_WECHAT_BASE_URL by setting that attribute — the one private detail we rely on, pinned by the tests.
Notifications are checked by our own `wechatpay_protocol`, because the SDK neither checks the timestamp window
nor tells a forged signature from a bad ciphertext (both come back as None), and we answer them differently.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

import requests
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from wechatpayv3 import WeChatPay, WeChatPayType

from yunlou.core.errors import DomainError
from yunlou.payments import wechatpay_protocol as protocol
from yunlou.payments.config import WechatPayConfig, wechatpay_config

SHANGHAI = ZoneInfo("Asia/Shanghai")


class GatewayUnavailable(DomainError):
    """The gateway did not answer, answered an error, or answered without a valid signature."""

    code = "payment_gateway_unavailable"
    status = 503


@dataclass(frozen=True)
class GatewayEvent:
    """A verified, decrypted notification."""

    event_id: str
    event_type: str  # TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
    nonce: str
    timestamp: str
    serial: str
    resource: dict = field(repr=False)

    @property
    def out_trade_no(self) -> str:
        return str(self.resource.get("out_trade_no", ""))

    @property
    def transaction_id(self) -> str:
        return str(self.resource.get("transaction_id", ""))

    @property
    def total_fen(self) -> int | None:
        total = (self.resource.get("amount") or {}).get("total")
        return total if isinstance(total, int) else None

    @property
    def success_time(self):
        return parse_datetime(str(self.resource.get("success_time") or ""))


@dataclass(frozen=True)
class TradeStatus:
    trade_state: str  # NOTPAY, SUCCESS, CLOSED, REFUND
    transaction_id: str
    total_fen: int
    success_time: object = None


@dataclass(frozen=True)
class RefundAccepted:
    refund_id: str
    status: str  # PROCESSING or SUCCESS


class PaymentGateway(Protocol):
    def create(self, payment) -> str:
        """Open the trade at the gateway; return the page the buyer pays on."""

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        """Verify and decrypt a callback; raise wechatpay_protocol.ProtocolError when it is not genuine."""

    def query(self, out_trade_no: str) -> TradeStatus: ...

    def refund(self, payment, *, out_refund_no: str, amount_fen: int, reason: str) -> RefundAccepted: ...

    def close(self, out_trade_no: str) -> None: ...


class SandboxWechatGateway:
    def __init__(self, config: WechatPayConfig | None = None) -> None:
        self.config = config or wechatpay_config()

    def _client(self) -> WeChatPay:
        config = self.config
        client = WeChatPay(
            wechatpay_type=WeChatPayType.H5, mchid=config.mchid, private_key=config.merchant_private_key,
            cert_serial_no=config.merchant_serial_no, appid=config.appid, apiv3_key=config.apiv3_key,
            notify_url=config.notify_url, public_key=config.platform_public_key,
            public_key_id=config.platform_public_key_id, timeout=(5, 15),
        )
        client._core._gate_way = config.base_url.rstrip("/")
        return client

    def _call(self, operation, *args, expect: tuple[int, ...] = (200,), **kwargs) -> dict:
        try:
            status, text = operation(self._client(), *args, **kwargs)
        except requests.RequestException as exc:
            raise GatewayUnavailable(_("The payment service cannot be reached; please try again.")) from exc
        except Exception as exc:  # the SDK raises bare Exception when a response's signature does not verify
            raise GatewayUnavailable(_("The payment service answered without a valid signature.")) from exc
        if status not in expect:
            raise GatewayUnavailable(_("The payment service refused the request (%(status)s).") % {"status": status},
                                     details=_error_details(text))
        if not text:
            return {}
        try:
            return json.loads(text)
        except (TypeError, ValueError) as exc:
            raise GatewayUnavailable(_("The payment service answered something unreadable.")) from exc

    def create(self, payment) -> str:
        time_expire = payment.expires_at.astimezone(SHANGHAI).isoformat(timespec="seconds") \
            if payment.expires_at else None
        answer = self._call(
            WeChatPay.pay, description=payment.description, out_trade_no=payment.out_trade_no,
            amount={"total": payment.amount_fen, "currency": "CNY"}, attach=payment.reference,
            time_expire=time_expire, scene_info={"payer_client_ip": "127.0.0.1", "h5_info": {"type": "Wap"}},
        )
        return str(answer.get("h5_url", ""))

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> GatewayEvent:
        try:
            text = body.decode() if isinstance(body, bytes) else body
        except UnicodeDecodeError:
            raise protocol.MalformedMessage("body is not UTF-8") from None
        signed = protocol.platform_verify(headers=headers, body=text, public_keys=self.config.platform_public_keys)
        try:
            envelope = json.loads(text)
        except ValueError:
            raise protocol.MalformedMessage("body is not JSON") from None
        if not isinstance(envelope, dict) or envelope.get("resource_type") != "encrypt-resource":
            raise protocol.MalformedMessage("body carries no encrypted resource")
        resource = protocol.resource_decrypt(apiv3_key=self.config.apiv3_key, resource=envelope.get("resource"))
        return GatewayEvent(event_id=str(envelope.get("id", "")), event_type=str(envelope.get("event_type", "")),
                            nonce=signed.nonce, timestamp=signed.timestamp, serial=signed.serial, resource=resource)

    def query(self, out_trade_no: str) -> TradeStatus:
        answer = self._call(WeChatPay.query, out_trade_no=out_trade_no)
        return TradeStatus(trade_state=str(answer.get("trade_state", "")),
                           transaction_id=str(answer.get("transaction_id") or ""),
                           total_fen=int((answer.get("amount") or {}).get("total") or 0),
                           success_time=parse_datetime(str(answer.get("success_time") or "")))

    def refund(self, payment, *, out_refund_no: str, amount_fen: int, reason: str) -> RefundAccepted:
        answer = self._call(
            WeChatPay.refund, out_refund_no=out_refund_no, out_trade_no=payment.out_trade_no,
            amount={"refund": amount_fen, "total": payment.amount_fen, "currency": "CNY"},
            reason=reason or None, notify_url=self.config.notify_url,
        )
        return RefundAccepted(refund_id=str(answer.get("refund_id", "")), status=str(answer.get("status", "")))

    def close(self, out_trade_no: str) -> None:
        self._call(WeChatPay.close, out_trade_no, expect=(200, 204))


def _error_details(text) -> dict | None:
    try:
        answer = json.loads(text)
    except (TypeError, ValueError):
        return None
    return {"code": answer.get("code"), "message": answer.get("message")} if isinstance(answer, dict) else None


def gateway_for(channel: str) -> PaymentGateway:
    from yunlou.payments.models import PaymentChannel

    if channel == PaymentChannel.SANDBOX_WECHAT:
        return SandboxWechatGateway()
    raise ValueError(f"no gateway for channel {channel}")
