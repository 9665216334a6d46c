"""认购: within the hold the buyer signs the subscription form (认购书) and pays the deposit (定金) → subscribed.

The deposit goes through the payments app (`yunlou.payments`): the order opens a payment referenced
`order:<id>`, and the gateway's verified notification calls `order_deposit_received` inside the transaction that
records the payment, with the payment row locked. So the payment and the order change together or not at all,
and a duplicate or replayed notification never counts twice (the payments app answers those before us).

A deposit that arrives after its hold expired never gives a unit to two buyers: if the unit is still free it is
held again for this order; if someone else holds it, or the buyer has meanwhile used their limit, the handler
refuses and the payments app refunds the money in full. A pledge's own payment (`pledge:<id>`) makes the pledge
active the same way.
"""

import base64
import binascii
import datetime
import secrets

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.brokers.services.commissions import commissions_collection_check, referral_order_subscribed
from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, NotFound, ValidationFailed
from yunlou.launch.models import LaunchUnit, Order, OrderStatus, Pledge, PledgeStatus
from yunlou.launch.services.selection import hold_expire_overdue
from yunlou.live.publish import order_unit_changed
from yunlou.payments.handlers import PaymentRefused

SIGNATURE_MAX_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def order_for_buyer(*, pledge: Pledge, order_id: int, lock: bool = False) -> Order:
    """The buyer's own order (another buyer's id answers like a missing one), its hold expired if overdue."""
    queryset = Order.objects.select_for_update() if lock else Order.objects
    order = queryset.select_related("launch", "unit").filter(pk=order_id, pledge=pledge).first()
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    return order if lock else hold_expire_overdue(order)


def signature_png(signature: str | bytes) -> bytes:
    """signature_pad's PNG, as bytes or a data URL; refused when empty, too large or not a PNG."""
    if isinstance(signature, str):
        _head, _comma, data = signature.partition("base64,")
        try:
            signature = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            signature = b""
    if not signature:
        raise ValidationFailed(_("Please sign before submitting."), field="signature", code="empty_signature")
    if len(signature) > SIGNATURE_MAX_BYTES or not signature.startswith(PNG_MAGIC):
        raise ValidationFailed(_("The signature must be a PNG image of at most 512 KB."), field="signature")
    return signature


@transaction.atomic
def order_subscription_form_sign(*, pledge: Pledge, order_id: int, signature: str | bytes,
                                 now: datetime.datetime | None = None) -> Order:
    """The buyer signs the subscription form within the hold."""
    now = now or timezone.now()
    png = signature_png(signature)
    order = order_for_buyer(pledge=pledge, order_id=order_id, lock=True)
    if order.status != OrderStatus.HELD or order.held_until <= now:
        raise Conflict(_("The hold on this unit has ended."), code="hold_ended")
    if order.subscription_form_signed_at is None:
        # A random name: media files are served by path, and an order's number is easy to guess.
        order.subscription_signature.save(f"order-{order.pk}-{secrets.token_urlsafe(12)}.png", ContentFile(png),
                                          save=False)
        order.subscription_form_signed_at = now
        order.save(update_fields=["subscription_signature", "subscription_form_signed_at"])
    _subscribe_if_complete(order, now=now)
    return order


def order_deposit_payment_start(*, pledge: Pledge, order_id: int):
    """Open the deposit's payment at the gateway; returns the Payment whose pay_url the buyer goes to. Outside
    any transaction: the gateway is called."""
    from yunlou.payments.services import payment_create

    order = order_for_buyer(pledge=pledge, order_id=order_id)
    if order.status != OrderStatus.HELD or order.deposit_paid_at is not None:
        raise Conflict(_("This order has no deposit to pay."), code="nothing_to_pay")
    if order.subscription_form_signed_at is None:
        raise Conflict(_("Sign the subscription form first."), code="form_not_signed")
    return payment_create(organization=order.launch.project.organization, reference=f"order:{order.pk}",
                          amount_fen=order.launch.deposit, expires_at=order.held_until,
                          description=f"{order.launch.project.name} {order.unit.code} 定金")


def _unit_hold_again(order: Order, now: datetime.datetime) -> bool:
    """The conditional UPDATE that gives an expired order its unit back, only while nobody else has it."""
    if order.is_rehearsal:
        return LaunchUnit.objects.filter(launch_id=order.launch_id, unit_id=order.unit_id,
                                         is_rehearsal_held=False).update(is_rehearsal_held=True) == 1
    return Unit.objects.filter(pk=order.unit_id, status=UnitStatus.AVAILABLE).update(
        status=UnitStatus.HELD, status_changed_at=now) == 1


def _subscribe_if_complete(order: Order, *, now: datetime.datetime) -> None:
    """Form signed and deposit paid: subscribed, and the unit with it (conditional: it must still be held)."""
    if order.status != OrderStatus.HELD or not (order.subscription_form_signed_at and order.deposit_paid_at):
        return
    if not order.is_rehearsal:
        moved = Unit.objects.filter(pk=order.unit_id, status=UnitStatus.HELD).update(
            status=UnitStatus.SUBSCRIBED, status_changed_at=now)
        if moved != 1:
            raise Conflict(_("Unit %(code)s changed meanwhile.") % {"code": order.unit.code}, code="stale_status")
    Order.objects.filter(pk=order.pk, status=OrderStatus.HELD).update(status=OrderStatus.SUBSCRIBED,
                                                                      subscribed_at=now)
    order.status, order.subscribed_at = OrderStatus.SUBSCRIBED, now
    order_unit_changed(order)
    if not order.is_rehearsal:
        audit_record(action="order.subscribe", target=order, project=order.launch.project, actor=order.pledge.buyer)
        referral_order_subscribed(order)  # a referred buyer: the broker's report advances, commissions written


def order_deposit_received(payment) -> None:
    """Payment handler for `order:<id>` (called by the payments app with the payment row locked)."""
    now = timezone.now()
    order_id = payment.reference.partition(":")[2]
    order = (Order.objects.select_for_update().select_related("launch__project", "unit", "pledge")
             .filter(pk=int(order_id) if order_id.isdigit() else None).first())
    if order is None:
        raise PaymentRefused(_("No such order."))
    if payment.amount_fen != order.launch.deposit:
        raise PaymentRefused(_("The amount is not this order's deposit."))
    if order.deposit_paid_at is not None:
        raise PaymentRefused(_("This order's deposit has been paid already."))
    if order.status == OrderStatus.EXPIRED:
        try:
            with transaction.atomic():  # the buyer's slot may have been taken by another order meanwhile
                if not _unit_hold_again(order, now):
                    raise PaymentRefused(_("The hold had ended and the unit has gone to another buyer; the "
                                           "deposit is refunded."))
                Order.objects.filter(pk=order.pk, status=OrderStatus.EXPIRED).update(
                    status=OrderStatus.HELD, ended_at=None)
        except IntegrityError:
            raise PaymentRefused(_("The hold had ended and you hold another unit now; the deposit is "
                                   "refunded.")) from None
        order.status = OrderStatus.HELD
        order_unit_changed(order)
    elif order.status != OrderStatus.HELD:
        raise PaymentRefused(_("This order can no longer take a deposit."))
    order.deposit_paid_at = now
    Order.objects.filter(pk=order.pk).update(deposit_paid_at=now)
    _subscribe_if_complete(order, now=now)
    commissions_collection_check(order)  # a broker's commission that waits for money collected


def pledge_payment_received(payment) -> None:
    """Payment handler for `pledge:<id>`."""
    pledge_id = payment.reference.partition(":")[2]
    pledge = Pledge.objects.select_for_update().filter(pk=int(pledge_id) if pledge_id.isdigit() else None).first()
    if pledge is None or pledge.status != PledgeStatus.AWAITING_PAYMENT:
        raise PaymentRefused(_("This pledge no longer takes a payment."))
    if payment.amount_fen != pledge.amount:
        raise PaymentRefused(_("The amount is not this pledge's."))
    Pledge.objects.filter(pk=pledge.pk).update(status=PledgeStatus.ACTIVE)
