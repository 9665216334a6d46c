"""Payments: money received for something the caller names by a reference ("order:42", "pledge:7").

This app knows nothing of orders or pledges: the caller chooses the reference, and a handler registered for the
reference's prefix (yunlou.payments.handlers) hears when the money has arrived. The invariants that money
depends on are constraints here: positive amounts, refunds never more than was paid, a status that agrees with
the refunded sum, one gateway transaction per payment, one use of a notification's nonce.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PaymentChannel(models.TextChoices):
    SANDBOX_WECHAT = "sandbox_wechat", _("WeChat Pay (sandbox)")
    COUNTER_POS = "counter_pos", _("Card terminal at the counter")
    COUNTER_TRANSFER = "counter_transfer", _("Bank transfer")


ONLINE_CHANNELS = frozenset({PaymentChannel.SANDBOX_WECHAT})
COUNTER_CHANNELS = frozenset({PaymentChannel.COUNTER_POS, PaymentChannel.COUNTER_TRANSFER})


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")
    CLOSED = "closed", _("Closed")


PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.CREATED: frozenset({PaymentStatus.PAID, PaymentStatus.CLOSED}),
    PaymentStatus.PAID: frozenset({PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTLY_REFUNDED: frozenset({PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.CLOSED: frozenset(),
}
RECEIVED_STATUSES = frozenset({PaymentStatus.PAID, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED})


class Payment(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("reference"), max_length=64, db_index=True,
                                 help_text=_("What the money is for, as prefix:id, e.g. order:42."))
    description = models.CharField(_("description"), max_length=127)
    out_trade_no = models.CharField(_("merchant trade number"), max_length=32, unique=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    refunded_fen = models.PositiveBigIntegerField(_("refunded (fen)"), default=0)
    channel = models.CharField(_("channel"), max_length=20, choices=PaymentChannel.choices)
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices,
                              default=PaymentStatus.CREATED)
    transaction_id = models.CharField(_("gateway transaction"), max_length=64, blank=True)
    pay_url = models.URLField(_("pay page"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("pay before"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Counter payments: who at finance recorded the money, and the slip or transfer reference they saw.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    voucher = models.CharField(_("voucher"), max_length=64, blank=True)
    # The handler for the reference refused the money (e.g. the hold had expired): it is being given back.
    refusal = models.CharField(_("refused because"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_fen__gte=0) & Q(refunded_fen__lte=F("amount_fen")),
                                   name="payment_refunded_within_amount"),
            models.CheckConstraint(
                condition=(
                    (Q(status__in=[PaymentStatus.CREATED, PaymentStatus.CLOSED, PaymentStatus.PAID])
                     & Q(refunded_fen=0))
                    | (Q(status=PaymentStatus.PARTLY_REFUNDED) & Q(refunded_fen__gt=0)
                       & Q(refunded_fen__lt=F("amount_fen")))
                    | (Q(status=PaymentStatus.REFUNDED) & Q(refunded_fen=F("amount_fen")))
                ),
                name="payment_status_agrees_with_refunds",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[PaymentStatus.CREATED, PaymentStatus.CLOSED]) | Q(paid_at__isnull=False),
                name="payment_received_has_paid_at",
            ),
            models.UniqueConstraint(fields=["transaction_id"], condition=~Q(transaction_id=""),
                                    name="payment_transaction_id_unique"),
            # The same POS slip or bank transfer cannot be recorded twice.
            models.UniqueConstraint(fields=["channel", "voucher"], condition=~Q(voucher=""),
                                    name="payment_voucher_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.out_trade_no}"

    @property
    def reference_kind(self) -> str:
        return self.reference.partition(":")[0]

    @property
    def refundable_fen(self) -> int:
        return self.amount_fen - self.refunded_fen


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Processing")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(_("merchant refund number"), max_length=64, unique=True)
    refund_id = models.CharField(_("gateway refund"), max_length=64, blank=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RefundStatus.choices,
                              default=RefundStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["refund_id"], condition=~Q(refund_id=""), name="refund_id_unique"),
        ]

    def __str__(self) -> str:
        return self.out_refund_no


class NotificationResult(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Already applied")
    REJECTED = "rejected", _("Rejected")
    BAD_SIGNATURE = "bad_signature", _("Bad signature")
    STALE = "stale", _("Stale timestamp")
    REPLAYED = "replayed", _("Replayed nonce")
    BAD_CIPHERTEXT = "bad_ciphertext", _("Does not decrypt")
    MALFORMED = "malformed", _("Malformed")


# A nonce is spent once it came with a valid signature and was processed; forged messages do not spend it
# (otherwise anyone could burn the nonce of a genuine message they guessed or saw go by).
NONCE_SPENDING_RESULTS = (NotificationResult.APPLIED, NotificationResult.DUPLICATE, NotificationResult.REJECTED)


class PaymentNotification(models.Model):
    """Every callback received from the gateway, kept with what became of it."""

    received_at = models.DateTimeField(auto_now_add=True)
    nonce = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=16, blank=True)
    serial = models.CharField(max_length=64, blank=True)
    event_id = models.CharField(max_length=64, blank=True)
    event_type = models.CharField(max_length=40, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="notifications")
    result = models.CharField(max_length=20, choices=NotificationResult.choices)
    message = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["nonce"], condition=Q(result__in=NONCE_SPENDING_RESULTS),
                                    name="payment_notification_nonce_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type or '?'} {self.result}"


# --- the sandbox gateway's own books: what "WeChat Pay" knows, kept apart from the merchant's Payment ---

class SandboxTradeState(models.TextChoices):
    NOTPAY = "NOTPAY", _("Not paid")
    SUCCESS = "SUCCESS", _("Paid")
    CLOSED = "CLOSED", _("Closed")
    REFUND = "REFUND", _("Refunded")


class SandboxTransaction(models.Model):
    mchid = models.CharField(max_length=32)
    appid = models.CharField(max_length=32)
    out_trade_no = models.CharField(max_length=32)
    prepay_id = models.CharField(max_length=64, unique=True)
    transaction_id = models.CharField(max_length=32, unique=True)
    description = models.CharField(max_length=127)
    attach = models.CharField(max_length=128, blank=True)
    total_fen = models.PositiveBigIntegerField()
    notify_url = models.URLField(max_length=500)
    trade_state = models.CharField(max_length=10, choices=SandboxTradeState.choices,
                                   default=SandboxTradeState.NOTPAY)
    time_expire = models.DateTimeField(null=True, blank=True)
    success_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mchid", "out_trade_no"], name="sandbox_transaction_out_trade_no"),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="sandbox_transaction_total_positive"),
        ]

    def __str__(self) -> str:
        return self.transaction_id


class SandboxRefund(models.Model):
    transaction = models.ForeignKey(SandboxTransaction, on_delete=models.CASCADE, related_name="refunds")
    out_refund_no = models.CharField(max_length=64)
    refund_id = models.CharField(max_length=32, unique=True)
    refund_fen = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=80, blank=True)
    notify_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=12, default="PROCESSING")
    success_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transaction", "out_refund_no"], name="sandbox_refund_out_refund_no"),
            models.CheckConstraint(condition=Q(refund_fen__gt=0), name="sandbox_refund_positive"),
        ]

    def __str__(self) -> str:
        return self.refund_id


class SandboxKeyring(models.Model):
    """Demo only: the sandbox's key material, generated on first use when PAYMENT_WECHAT_* keys are not set, kept
    in the database so that every process of the demo signs and verifies with the same keys and no private key
    ever lands in the repository. A deployment sets the keys in its environment instead."""

    merchant_private_key = models.TextField()
    merchant_serial_no = models.CharField(max_length=40)
    platform_private_key = models.TextField()
    platform_public_key_id = models.CharField(max_length=64)
    apiv3_key = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.platform_public_key_id
