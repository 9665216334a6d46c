"""退房 and cancelling a hold: an order gives its unit back.

- `order_refund`: a sales manager, finance or an admin undoes a subscribed or signed order (DESIGN: subscribed/
  signed → available only through a recorded refund). One transaction changes the unit (a conditional UPDATE:
  it must still be in the order's state), the order and the audit log. The money goes back afterwards, once that
  transaction has committed: every received payment referenced `order:<id>` is refunded through the payments
  app, which calls the gateway with no lock held. When the gateway cannot be reached the refund stays
  `pending` in the payments app (it may have arrived; the same refund number may be sent again) and the outcome
  says so; the order is refunded either way, because the buyer is owed the money from that moment.
- `order_cancel`: the buyer gives up a hold before paying; the unit is available again and the deposit's open
  payment is closed at the gateway, so that it can no longer be paid (a payment that still arrives finds the
  order cancelled and is refunded in full by the payments app).
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import Role
from yunlou.accounts.staff import Staff
from yunlou.brokers.services.commissions import referral_order_refunded
from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from yunlou.core.text import strip_controls
from yunlou.launch.models import LaunchUnit, Order, OrderStatus, Pledge
from yunlou.launch.services.orders import order_for_buyer
from yunlou.live.publish import order_unit_changed
from yunlou.payments.models import Payment, PaymentStatus, Refund, RefundStatus

logger = logging.getLogger(__name__)

REFUND_ROLES = frozenset({Role.MANAGER, Role.FINANCE, Role.ADMIN})
REFUNDABLE_STATUSES = (OrderStatus.SUBSCRIBED, OrderStatus.SIGNED)
REASON_MAX_CHARS = 80  # what a gateway refund carries


@dataclass
class PaymentRefundOutcome:
    """One payment of the order and what became of giving it back."""

    payment: Payment
    refund: Refund | None
    problem: str = ""  # why the gateway did not take it (the refund, if any, is pending and will be retried)

    @property
    def status(self) -> str:
        return self.refund.status if self.refund is not None else "not_requested"


@dataclass
class OrderRefund:
    order: Order
    payments: list[PaymentRefundOutcome] = field(default_factory=list)

    @property
    def is_money_settled(self) -> bool:
        return all(outcome.status == RefundStatus.SUCCEEDED for outcome in self.payments)


def _reason_clean(reason: str) -> str:
    reason = " ".join(strip_controls(reason or "").split())
    if not reason:
        raise ValidationFailed(_("Say why the order is refunded."), field="reason", code="reason_required")
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationFailed(_("The reason is at most %(count)d characters.") % {"count": REASON_MAX_CHARS},
                               field="reason")
    return reason


def order_refund(*, staff: Staff, order_id: int, reason: str, request: HttpRequest | None = None,
                 now: datetime.datetime | None = None) -> OrderRefund:
    """退房: the order → refunded, its unit → available, audited; then its received payments are refunded.

    The payments are refunded on commit. Called outside any transaction (a view), that is before this returns
    and the outcome lists each payment's refund; inside a caller's transaction it happens when that commits,
    and the outcome's list is filled then."""
    now = now or timezone.now()
    reason = _reason_clean(reason)
    if staff.role not in REFUND_ROLES:
        raise Forbidden(_("Only a sales manager or finance can refund an order."))
    with transaction.atomic():
        order = (Order.objects.select_for_update().select_related("launch__project", "unit")
                 .filter(pk=order_id).first())
        if order is None or not staff.covers(order.launch.project):
            raise NotFound(_("No such order."), field="order_id")
        if order.is_rehearsal:
            raise Conflict(_("Rehearsal orders are cleared with the rehearsal, not refunded."), code="rehearsal")
        if order.status not in REFUNDABLE_STATUSES:
            raise Conflict(_("Only a subscribed or signed order can be refunded."), field="order_id",
                           code="not_refundable")
        previous = order.status
        # The unit is in the order's state: a unit changed by anyone else meanwhile is refused, not overwritten.
        moved = Unit.objects.filter(pk=order.unit_id, status=previous).update(
            status=UnitStatus.AVAILABLE, status_changed_at=now)
        if moved != 1:
            raise Conflict(_("Unit %(code)s changed meanwhile.") % {"code": order.unit.code}, code="stale_status")
        Order.objects.filter(pk=order.pk, status=previous).update(status=OrderStatus.REFUNDED, ended_at=now)
        order.status, order.ended_at = OrderStatus.REFUNDED, now
        order_unit_changed(order)
        audit_record(action="order.refund", target=order, project=order.launch.project, actor=staff.user,
                     changes={"status": [previous, OrderStatus.REFUNDED], "unit": order.unit.code},
                     note=reason, request=request)
        referral_order_refunded(order)  # the broker's commissions reversed, or clawed back where paid
        result = OrderRefund(order=order)
        transaction.on_commit(lambda: result.payments.extend(
            _order_payments_refund(order=order, staff=staff, reason=reason, request=request)), robust=True)
    return result


def _order_payments_refund(*, order: Order, staff: Staff, reason: str,
                           request: HttpRequest | None) -> list[PaymentRefundOutcome]:
    return payments_refund_for(reference=f"order:{order.pk}", staff=staff, reason=f"退房 {reason}", request=request)


def payments_refund_for(*, reference: str, staff: Staff, reason: str,
                        request: HttpRequest | None = None) -> list[PaymentRefundOutcome]:
    """Give back what is left of every received payment for `reference` (after commit: the gateway is called)."""
    from yunlou.payments.services import MONEY_ROLES, payment_refund

    # The manager decided the refund (audited on the order); the payments app takes money actions only from
    # finance, so a manager's refund goes through as the system's.
    actor = staff if staff.role in MONEY_ROLES else None
    outcomes = []
    payments = Payment.objects.filter(reference=reference,
                                      status__in=[PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED]).order_by("pk")
    for payment in payments:
        pending = payment.refunds.filter(status=RefundStatus.PENDING).aggregate(total=Sum("amount_fen"))["total"]
        left = payment.refundable_fen - (pending or 0)
        if left <= 0:
            outcomes.append(PaymentRefundOutcome(payment, payment.refunds.order_by("-pk").first()))
            continue
        try:
            refund = payment_refund(payment=payment, amount_fen=left, reason=reason[:REASON_MAX_CHARS],
                                    actor=actor, request=request)
            outcomes.append(PaymentRefundOutcome(payment, refund))
        except DomainError as error:
            # Typically the gateway is unreachable: the refund row stays pending and the outcome says so.
            logger.warning("refund of %s for %s not confirmed: %s", payment.out_trade_no, reference,
                           error.message)
            outcomes.append(PaymentRefundOutcome(payment, payment.refunds.order_by("-pk").first(),
                                                 problem=str(error.message)))
        payment.refresh_from_db()
    return outcomes


def order_cancel(*, pledge: Pledge, order_id: int, now: datetime.datetime | None = None) -> Order:
    """The buyer gives up their hold before the deposit is paid: cancelled, and the unit is available again."""
    now = now or timezone.now()
    with transaction.atomic():
        order = order_for_buyer(pledge=pledge, order_id=order_id, lock=True)
        if order.status != OrderStatus.HELD:
            raise Conflict(_("Only a hold can be cancelled."), field="order_id", code="not_held")
        if order.deposit_paid_at is not None:
            raise Conflict(_("The deposit is paid: ask the sales office to refund the order."), field="order_id",
                           code="deposit_paid")
        Order.objects.filter(pk=order.pk, status=OrderStatus.HELD).update(status=OrderStatus.CANCELLED,
                                                                          ended_at=now)
        order.status, order.ended_at = OrderStatus.CANCELLED, now
        if order.is_rehearsal:
            LaunchUnit.objects.filter(launch_id=order.launch_id, unit_id=order.unit_id).update(
                is_rehearsal_held=False)
        else:
            Unit.objects.filter(pk=order.unit_id, status=UnitStatus.HELD).update(
                status=UnitStatus.AVAILABLE, status_changed_at=now)
            audit_record(action="order.cancel", target=order, project=order.launch.project, actor=pledge.buyer)
        order_unit_changed(order)
        transaction.on_commit(lambda: _open_payments_close(order.pk), robust=True)
    return order


def _open_payments_close(order_id: int) -> None:
    from yunlou.payments.services import payment_close

    for payment in Payment.objects.filter(reference=f"order:{order_id}", status=PaymentStatus.CREATED):
        try:
            payment_close(payment=payment)
        except DomainError as error:
            # It may still be paid: the deposit handler refuses a cancelled order and the money is refunded.
            logger.warning("could not close payment %s of cancelled order %s: %s", payment.out_trade_no, order_id,
                           error.message)
