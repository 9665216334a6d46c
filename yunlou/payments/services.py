"""Every write of the payments app: opening a payment, hearing the gateway, counter payments, refunds.

Rules kept here:
- A gateway is never called inside a database transaction or lock: payments and refunds are written first,
  the gateway is called, and the result is recorded in a second short transaction (STYLE: external calls never
  inside a lock).
- A notification changes a payment only under `select_for_update` on that payment, in one transaction with the
  notification's own row; its nonce is spent in that transaction (a partial unique index), so a replay is
  refused even when it arrives at the same instant on another connection.
- Applying is idempotent and order-free: a payment is received once, whichever notification proves it first
  (the pay notification or a refund notification that overtook it); a refund is added once, by its
  out_refund_no; anything already applied is acknowledged and changes nothing.
"""

import logging
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import Organization, Role
from yunlou.accounts.staff import Staff
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from yunlou.core.text import strip_controls
from yunlou.payments import wechatpay_protocol as protocol
from yunlou.payments.config import wechatpay_config
from yunlou.payments.gateways import GatewayEvent, PaymentGateway, gateway_for
from yunlou.payments.handlers import PaymentRefused, payment_handlers
from yunlou.payments.models import (
    COUNTER_CHANNELS,
    PAYMENT_TRANSITIONS,
    RECEIVED_STATUSES,
    NotificationResult,
    Payment,
    PaymentChannel,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
)

logger = logging.getLogger(__name__)

REFERENCE_PATTERN = re.compile(r"^[a-z][a-z_]*:[A-Za-z0-9_-]+$")
# Finance takes money at the counter and gives it back; an admin may stand in. (A permission in
# yunlou.accounts.permissions would be the better home; see the report.)
MONEY_ROLES = frozenset({Role.FINANCE, Role.ADMIN})


def _trade_number(prefix: str) -> str:
    """28 characters: when (for a person reading a statement) and 48 random bits (so it cannot be guessed)."""
    return f"{prefix}{timezone.localtime().strftime('%Y%m%d%H%M%S')}{secrets.token_hex(6).upper()}"


def _reference_check(reference: str) -> None:
    if not REFERENCE_PATTERN.match(reference or "") or len(reference) > 64:
        raise ValidationFailed(_("A payment reference is written kind:id, e.g. order:42."), field="reference")


def _amount_check(amount_fen, *, field: str = "amount_fen") -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed(_("The amount must be a positive number of fen."), field=field)
    return amount_fen


def _status_set(payment: Payment, to_status: str) -> None:
    if to_status not in PAYMENT_TRANSITIONS[payment.status]:
        raise Conflict(_("A payment cannot go from “%(from)s” to “%(to)s”.")
                       % {"from": PaymentStatus(payment.status).label, "to": PaymentStatus(to_status).label},
                       field="status", code="invalid_transition")
    payment.status = to_status


def _money_staff_check(staff: Staff, organization_id: int) -> None:
    if staff.role not in MONEY_ROLES or staff.organization.pk != organization_id:
        raise Forbidden(_("Only finance may record or refund payments."))


# --- online payments ---

def payment_create(*, organization: Organization, reference: str, amount_fen: int, description: str,
                   expires_at: datetime | None = None, gateway: PaymentGateway | None = None) -> Payment:
    """Open an online payment and its trade at the gateway; `payment.pay_url` is where the buyer pays.

    Call it outside any transaction of yours: the gateway is called after the payment row is committed. When the
    gateway cannot be reached the payment stays `created` without a pay page and GatewayUnavailable is raised.
    """
    _reference_check(reference)
    _amount_check(amount_fen)
    description = (description or "").strip()[:127]
    if not description:
        raise ValidationFailed(_("Say what the payment is for."), field="description")
    payment = Payment.objects.create(
        organization=organization, reference=reference, description=description, amount_fen=amount_fen,
        channel=PaymentChannel.SANDBOX_WECHAT, out_trade_no=_trade_number("YL"), expires_at=expires_at,
    )
    payment.pay_url = (gateway or gateway_for(payment.channel)).create(payment)
    Payment.objects.filter(pk=payment.pk).update(pay_url=payment.pay_url, updated_at=timezone.now())
    return payment


def payment_close(*, payment: Payment, gateway: PaymentGateway | None = None) -> Payment:
    """Give up an unpaid online payment (the hold it was for has gone): closed at the gateway first, so that the
    buyer can no longer pay it, then here."""
    if payment.status != PaymentStatus.CREATED:
        raise Conflict(_("Only a payment still awaiting payment can be closed."), field="status")
    if payment.channel not in COUNTER_CHANNELS:
        (gateway or gateway_for(payment.channel)).close(payment.out_trade_no)
    closed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.CREATED).update(
        status=PaymentStatus.CLOSED, updated_at=timezone.now())
    payment.refresh_from_db()
    if not closed:
        raise Conflict(_("The payment changed meanwhile; reload and try again."), code="stale_status")
    return payment


def payment_sync(*, payment: Payment, gateway: PaymentGateway | None = None) -> Payment:
    """Ask the gateway about a payment whose notification has not come (reconciliation); apply what it says."""
    status = (gateway or gateway_for(payment.channel)).query(payment.out_trade_no)
    if status.trade_state in {"SUCCESS", "REFUND"}:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status == PaymentStatus.CREATED and status.total_fen == locked.amount_fen:
                _payment_receive(locked, transaction_id=status.transaction_id, paid_at=status.success_time)
    payment.refresh_from_db()
    return payment


def _payment_receive(payment: Payment, *, transaction_id: str, paid_at: datetime | None) -> None:
    """The money has arrived (payment locked by the caller): record it, then tell the reference's handler."""
    _status_set(payment, PaymentStatus.PAID)
    payment.transaction_id = transaction_id
    payment.paid_at = paid_at or timezone.now()
    payment.save(update_fields=["status", "transaction_id", "paid_at", "updated_at"])
    refusal = _handler_run(payment)
    if refusal is not None:
        payment.refusal = refusal[:200]
        payment.save(update_fields=["refusal", "updated_at"])
        from yunlou.payments.tasks import payment_refund_refused

        # The refund is a gateway call: it goes out once this transaction has committed and the lock is gone.
        transaction.on_commit(lambda: payment_refund_refused.delay(payment.pk), robust=True)


def _handler_run(payment: Payment) -> str | None:
    """Call the reference's handler in a savepoint; return its refusal, if it refused."""
    handler = payment_handlers.get(payment.reference_kind)
    if handler is None:
        logger.warning("no payment handler for %s", payment.reference)
        return None
    try:
        with transaction.atomic():
            handler(payment)
    except PaymentRefused as refusal:
        return str(refusal.message)
    return None


# --- notifications ---

class NotificationRejected(Exception):
    """Answered to the gateway as {"code": "FAIL", "message": …} with `status`; nothing was changed."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


_PROTOCOL_RESULTS = {
    protocol.StaleTimestamp: NotificationResult.STALE,
    protocol.BadSignature: NotificationResult.BAD_SIGNATURE,
    protocol.BadCiphertext: NotificationResult.BAD_CIPHERTEXT,
}


def payment_notification_handle(*, headers: Mapping[str, str], body: bytes,
                                gateway: PaymentGateway | None = None) -> PaymentNotification:
    """Verify, decrypt and apply one callback from the gateway; raise NotificationRejected to answer FAIL."""
    gateway = gateway or gateway_for(PaymentChannel.SANDBOX_WECHAT)
    body_text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        event = gateway.parse_notification(headers, body)
    except protocol.ProtocolError as error:
        result = next((r for cls, r in _PROTOCOL_RESULTS.items() if isinstance(error, cls)),
                      NotificationResult.MALFORMED)
        _notification_log(headers=headers, body=body_text, result=result, message=str(error))
        raise NotificationRejected(str(error), status=error.status) from error
    try:
        with transaction.atomic():
            notification, rejection = _notification_apply(event, body_text)
    except _NonceSpent:
        _notification_log(headers=headers, body=body_text, result=NotificationResult.REPLAYED,
                          message="nonce already used", event=event)
        raise NotificationRejected("nonce already used", status=401) from None
    if rejection:
        raise NotificationRejected(rejection)
    return notification


class _NonceSpent(Exception):
    pass


def _notification_log(*, headers, body: str, result: str, message: str, event: GatewayEvent | None = None) -> None:
    """A refused notification, kept for the record: what came from anyone is kept without control characters (a
    NUL would stop PostgreSQL storing it at all; an override would disguise it when shown)."""
    lower = {key.lower(): strip_controls(str(value)) for key, value in headers.items()}
    PaymentNotification.objects.create(
        nonce=lower.get("wechatpay-nonce", "")[:64], timestamp=lower.get("wechatpay-timestamp", "")[:16],
        serial=lower.get("wechatpay-serial", "")[:64], result=result, message=strip_controls(message)[:200],
        body=strip_controls(body[:20000]),
        event_id=event.event_id[:64] if event else "", event_type=event.event_type[:40] if event else "",
    )


def _notification_apply(event: GatewayEvent, body: str) -> tuple[PaymentNotification, str]:
    """Inside the transaction: lock the payment, spend the nonce, apply. Returns the row and a rejection (or "")."""
    payment = Payment.objects.select_for_update().filter(out_trade_no=event.out_trade_no).first()
    try:
        with transaction.atomic():
            notification = PaymentNotification.objects.create(
                nonce=event.nonce[:64], timestamp=event.timestamp[:16], serial=event.serial[:64],
                event_id=event.event_id[:64], event_type=event.event_type[:40], payment=payment,
                result=NotificationResult.APPLIED, body=body[:20000],
            )
    except IntegrityError:
        raise _NonceSpent from None
    if payment is None:
        rejection = "unknown out_trade_no"
    elif event.resource.get("mchid") != wechatpay_config().mchid:
        rejection = "mchid is not ours"
    elif event.event_type == "TRANSACTION.SUCCESS":
        rejection = _transaction_success_apply(payment, event)
    elif event.event_type == "REFUND.SUCCESS":
        rejection = _refund_success_apply(payment, event)
    elif event.event_type in {"REFUND.ABNORMAL", "REFUND.CLOSED"}:
        rejection = _refund_failure_apply(payment, event)
    else:
        rejection = f"unsupported event {event.event_type}"
    if rejection == _ALREADY:
        notification.result, rejection = NotificationResult.DUPLICATE, ""
    elif rejection:
        notification.result, notification.message = NotificationResult.REJECTED, rejection[:200]
        logger.warning("payment notification rejected: %s (%s %s)", rejection, event.event_type, event.out_trade_no)
    notification.save(update_fields=["result", "message"])
    return notification, rejection


_ALREADY = "already applied"


def _received_check(payment: Payment, event: GatewayEvent) -> str:
    """Apply the proof of payment that `event` carries; "" when applied now, _ALREADY, or why not."""
    if payment.channel in COUNTER_CHANNELS:
        return "not an online payment"
    if event.total_fen != payment.amount_fen:
        return f"amount {event.total_fen} differs from the payment's {payment.amount_fen}"
    if not event.transaction_id:
        return "no transaction_id"
    if payment.status in RECEIVED_STATUSES:
        return _ALREADY if payment.transaction_id == event.transaction_id else "paid under another transaction_id"
    if payment.status != PaymentStatus.CREATED:
        return "payment is closed"
    _payment_receive(payment, transaction_id=event.transaction_id, paid_at=event.success_time)
    return ""


def _transaction_success_apply(payment: Payment, event: GatewayEvent) -> str:
    if event.resource.get("trade_state") != "SUCCESS":
        return f"trade_state {event.resource.get('trade_state')}"
    return _received_check(payment, event)


def _refund_success_apply(payment: Payment, event: GatewayEvent) -> str:
    # A refund notification may overtake the pay notification: it proves the payment too, so it is applied first.
    received = _received_check(payment, event)
    if received and received != _ALREADY:
        return received
    out_refund_no = str(event.resource.get("out_refund_no", ""))
    refund_fen = (event.resource.get("amount") or {}).get("refund")
    if not out_refund_no or not isinstance(refund_fen, int) or refund_fen <= 0:
        return "refund lacks out_refund_no or amount"
    refund = Refund.objects.select_for_update().filter(out_refund_no=out_refund_no).first()
    if refund is None:
        # A refund made at the gateway itself (the merchant console): we learn of it here and record it.
        refund = Refund(payment=payment, out_refund_no=out_refund_no[:64], amount_fen=refund_fen)
    elif refund.payment_id != payment.pk or refund.amount_fen != refund_fen:
        return "refund does not match ours"
    elif refund.status == RefundStatus.SUCCEEDED:
        return _ALREADY if received else ""
    if refund_fen > payment.refundable_fen:
        return "refund exceeds what is left of the payment"
    _refund_succeed(payment, refund, refund_id=str(event.resource.get("refund_id", "")),
                    settled_at=event.success_time)
    return ""


def _refund_failure_apply(payment: Payment, event: GatewayEvent) -> str:
    refund = Refund.objects.select_for_update().filter(
        out_refund_no=str(event.resource.get("out_refund_no", "")), payment=payment).first()
    if refund is None:
        return "unknown refund"
    if refund.status != RefundStatus.PENDING:
        return _ALREADY if refund.status == RefundStatus.FAILED else "refund already succeeded"
    refund.status, refund.settled_at = RefundStatus.FAILED, timezone.now()
    refund.save(update_fields=["status", "settled_at"])
    return ""


def _refund_succeed(payment: Payment, refund: Refund, *, refund_id: str, settled_at: datetime | None) -> None:
    """Both rows locked by the caller. The check constraints stop a sum above the amount even if a bug slips by."""
    refund.status, refund.refund_id, refund.settled_at = RefundStatus.SUCCEEDED, refund_id[:64], \
        settled_at or timezone.now()
    refund.save()
    payment.refunded_fen += refund.amount_fen
    _status_set(payment, PaymentStatus.REFUNDED if payment.refunded_fen == payment.amount_fen
                else PaymentStatus.PARTLY_REFUNDED)
    payment.save(update_fields=["refunded_fen", "status", "updated_at"])


# --- counter payments ---

@transaction.atomic
def payment_record_counter(*, staff: Staff, reference: str, amount_fen: int, channel: str, voucher: str,
                           description: str = "", paid_at: datetime | None = None, note: str = "",
                           request: HttpRequest | None = None) -> Payment:
    """Finance records money taken at the counter (card terminal) or by bank transfer, with the slip or transfer
    reference it was seen on. The reference's handler hears of it in the same transaction; if it refuses, nothing
    is recorded and finance hands the money back."""
    _money_staff_check(staff, staff.organization.pk)
    _reference_check(reference)
    _amount_check(amount_fen)
    if channel not in COUNTER_CHANNELS:
        raise ValidationFailed(_("Choose the card terminal or a bank transfer."), field="channel")
    voucher = (voucher or "").strip()
    if not voucher or len(voucher) > 64:
        raise ValidationFailed(_("Enter the slip or transfer reference (up to 64 characters)."), field="voucher")
    if paid_at is not None and paid_at > timezone.now():
        raise ValidationFailed(_("The payment cannot be in the future."), field="paid_at")
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                organization=staff.organization, reference=reference, amount_fen=amount_fen, channel=channel,
                description=(description or reference).strip()[:127], out_trade_no=_trade_number("YC"),
                status=PaymentStatus.PAID, paid_at=paid_at or timezone.now(), recorded_by=staff.user,
                voucher=voucher,
            )
    except IntegrityError:
        raise Conflict(_("This slip or transfer has been recorded already."), field="voucher",
                       code="voucher_recorded") from None
    handler = payment_handlers.get(payment.reference_kind)
    if handler is not None:
        handler(payment)  # a PaymentRefused here rolls the whole recording back
    audit_record(action="payment.record_counter", target=payment, actor=staff.user, organization=staff.organization,
                 changes={"reference": reference, "amount_fen": amount_fen, "channel": channel, "voucher": voucher},
                 note=note[:500], request=request)
    return payment


# --- refunds ---

def payment_refund(*, payment: Payment, amount_fen: int, reason: str, actor: Staff | None,
                   request: HttpRequest | None = None, gateway: PaymentGateway | None = None) -> Refund:
    """Give back `amount_fen` of a received payment. `actor` None is the system (a refused payment).

    The refund row is written (and its amount reserved) first, the gateway is called with no lock held, then the
    answer is recorded. An online refund is usually still `pending` on return: the gateway's refund notification
    completes it. If the gateway cannot be reached the refund stays pending — it may have arrived — and the
    error is raised; the same out_refund_no may be sent again, the gateway applies it once.
    """
    if actor is not None:
        _money_staff_check(actor, payment.organization_id)
    _amount_check(amount_fen)
    reason = (reason or "").strip()[:80]
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in {PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED}:
            raise Conflict(_("Only a received payment that is not fully refunded can be refunded."), field="status")
        pending_fen = locked.refunds.filter(status=RefundStatus.PENDING).aggregate(total=Sum("amount_fen"))["total"]
        available_fen = locked.refundable_fen - (pending_fen or 0)
        if amount_fen > available_fen:
            raise ValidationFailed(_("At most %(available)s fen can still be refunded.") % {"available": available_fen},
                                   field="amount_fen")
        refund = Refund.objects.create(payment=locked, out_refund_no=_trade_number("YR"), amount_fen=amount_fen,
                                       reason=reason, requested_by=actor.user if actor else None)
        audit_record(action="payment.refund", target=locked, actor=actor.user if actor else None,
                     organization=locked.organization,
                     changes={"amount_fen": amount_fen, "reason": reason, "out_refund_no": refund.out_refund_no},
                     request=request)
    if locked.channel in COUNTER_CHANNELS:
        # Finance gives counter money back by hand or by transfer: recording it is the refund.
        _refund_settle(refund, refund_id="")
    else:
        _refund_send(refund, locked, gateway=gateway)
    refund.refresh_from_db()
    return refund


def _refund_send(refund: Refund, payment: Payment, *, gateway: PaymentGateway | None = None) -> bool:
    """Ask the gateway for the refund (again, under its own out_refund_no: applied once there) and record its
    answer; True when it says the money is back."""
    accepted = (gateway or gateway_for(payment.channel)).refund(
        payment, out_refund_no=refund.out_refund_no, amount_fen=refund.amount_fen, reason=refund.reason)
    if accepted.status == "SUCCESS":
        _refund_settle(refund, refund_id=accepted.refund_id)
        return True
    if accepted.refund_id:
        Refund.objects.filter(pk=refund.pk, refund_id="").update(refund_id=accepted.refund_id)
    return False


@transaction.atomic
def _refund_settle(refund: Refund, *, refund_id: str) -> None:
    # Lock order everywhere: the payment, then its refunds.
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    locked = Refund.objects.select_for_update().get(pk=refund.pk)
    if locked.status == RefundStatus.PENDING:
        _refund_succeed(payment, locked, refund_id=refund_id or locked.refund_id, settled_at=None)


def payment_refund_refused(*, payment_id: int) -> Refund | None:
    """The reference's handler refused a received online payment: give back all that is left of it."""
    payment = Payment.objects.get(pk=payment_id)
    pending = payment.refunds.filter(status=RefundStatus.PENDING).aggregate(total=Sum("amount_fen"))["total"] or 0
    left = payment.refundable_fen - pending
    if left <= 0 or payment.status not in {PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED}:
        return None
    try:
        return payment_refund(payment=payment, amount_fen=left, reason=payment.refusal[:80] or "refused",
                              actor=None)
    except DomainError:
        logger.exception("refund of refused payment %s failed", payment.out_trade_no)
        raise


# --- reconciliation ---

RECONCILE_AFTER = timedelta(minutes=2)  # news normally arrives within seconds; older silence is asked about
RECONCILE_WITHIN = timedelta(days=1)  # an unpaid payment is asked about for a day, then left to expire
RECONCILE_BATCH = 200


def payments_reconcile(*, now: datetime | None = None, gateway: PaymentGateway | None = None) -> dict[str, int]:
    """The beat's look at money whose news has not come (对账), so that a lost notification loses nothing:

    - an online payment still awaiting payment RECONCILE_AFTER after it was opened is asked about at the gateway
      (`payment_sync`): paid there means paid here, with the reference's handler run as on the notification;
    - a refund still pending is sent again under its own out_refund_no — the gateway applies one number once — so
      a refund the gateway never received (it could not be reached) goes out after all, and one it completed
      whose notification was lost is settled from the answer.

    A gateway that cannot be reached is tried again on the next run. Returns how many of each were settled."""
    now = now or timezone.now()
    settled = {"payments": 0, "refunds": 0}
    awaiting = (Payment.objects.filter(status=PaymentStatus.CREATED, created_at__lte=now - RECONCILE_AFTER,
                                       created_at__gte=now - RECONCILE_WITHIN)
                .exclude(channel__in=COUNTER_CHANNELS).order_by("created_at")[:RECONCILE_BATCH])
    for payment in awaiting:
        try:
            settled["payments"] += payment_sync(payment=payment, gateway=gateway).status != PaymentStatus.CREATED
        except DomainError:
            logger.warning("reconciliation: payment %s could not be asked about", payment.out_trade_no, exc_info=True)
    pending = (Refund.objects.filter(status=RefundStatus.PENDING, created_at__lte=now - RECONCILE_AFTER)
               .exclude(payment__channel__in=COUNTER_CHANNELS).select_related("payment")
               .order_by("created_at")[:RECONCILE_BATCH])
    for refund in pending:
        try:
            settled["refunds"] += _refund_send(refund, refund.payment, gateway=gateway)
        except DomainError:
            logger.warning("reconciliation: refund %s could not be sent again", refund.out_refund_no, exc_info=True)
    return settled
