"""开盘: pledges (认筹), launches with their eligible list and lottery, the units offered, and orders.

The invariants money depends on are constraints here, not Python checks in the services:
- a unit has at most one active order (held, subscribed or signed) — per launch for rehearsal orders (公测),
  which never touch the unit itself;
- a buyer (one pledge) holds at most the launch's per-buyer limit: each active order takes a numbered slot,
  1 ≤ slot ≤ the limit copied onto the order, and a slot is used at most once per pledge and launch;
- one pledge per ID number and per phone in a project while it is not refunded;
- no negative amounts, no hold without an end.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunlou.core.crypto import blind_index
from yunlou.core.fields import EncryptedTextField
from yunlou.core.id_numbers import mask_id_number
from yunlou.core.phone import mask_phone, masked_keys


class PledgeStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    ACTIVE = "active", _("Pledged")
    REFUNDED = "refunded", _("Refunded")


class PledgeSource(models.TextChoices):
    ONLINE = "online", _("Paid online")
    IMPORTED = "imported", _("Imported")


class Pledge(models.Model):
    """认筹: a buyer's refundable intent deposit that makes them eligible for the project's launches."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.PROTECT, related_name="pledges",
                                verbose_name=_("project"))
    number = models.CharField(_("pledge number"), max_length=20)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="pledges", verbose_name=_("buyer account"))
    name = models.CharField(_("name"), max_length=30)
    phone = EncryptedTextField(_("phone"))
    phone_hash = models.CharField(max_length=64, editable=False)
    # A pledged buyer is the project's customer: a broker's masked report (前三后四, 前四后三) must find him.
    phone_key_34 = models.CharField(max_length=64, editable=False, default="")
    phone_key_43 = models.CharField(max_length=64, editable=False, default="")
    id_number = EncryptedTextField(_("ID number"))
    id_number_hash = models.CharField(max_length=64, editable=False)
    amount = models.BigIntegerField(_("pledge amount (fen)"))
    status = models.CharField(_("status"), max_length=20, choices=PledgeStatus.choices,
                              default=PledgeStatus.AWAITING_PAYMENT)
    source = models.CharField(_("source"), max_length=20, choices=PledgeSource.choices, default=PledgeSource.ONLINE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="pledge_number_unique_in_project"),
            models.UniqueConstraint(fields=["project", "id_number_hash"], condition=~Q(status="refunded"),
                                    name="pledge_one_per_id_number_in_project"),
            models.UniqueConstraint(fields=["project", "phone_hash"], condition=~Q(status="refunded"),
                                    name="pledge_one_per_phone_in_project"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="pledge_amount_not_negative"),
            models.CheckConstraint(condition=Q(status__in=PledgeStatus.values), name="pledge_status_known"),
        ]
        indexes = [models.Index(fields=["project", "phone_key_34"]), models.Index(fields=["project", "phone_key_43"])]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def save(self, *args, **kwargs):
        self.phone_hash = blind_index(self.phone)
        self.phone_key_34, self.phone_key_43 = masked_keys(self.phone)
        self.id_number_hash = blind_index(self.id_number, purpose="id_number")
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    # What the lottery's anomaly flags compare (keyed hashes, never shown).
    @property
    def phone_index(self) -> str:
        return self.phone_hash

    @property
    def id_number_index(self) -> str:
        return self.id_number_hash


class EntryOrder(models.TextChoices):
    ALL_AT_ONCE = "all_at_once", _("All at once (first come, first served)")
    BATCHES = "batches", _("Batches in lottery order")


class Launch(models.Model):
    """开盘: an online sale of a set of units between two times, to the project's pledged buyers."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.PROTECT, related_name="launches",
                                verbose_name=_("project"))
    name = models.CharField(_("name"), max_length=60)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    per_buyer_limit = models.PositiveSmallIntegerField(_("units per buyer"), default=1)
    hold_minutes = models.PositiveSmallIntegerField(_("hold minutes"), default=5)
    deposit = models.BigIntegerField(_("deposit (fen)"), default=5_000_000)  # 定金, paid within the hold
    entry_order = models.CharField(_("order of entry"), max_length=20, choices=EntryOrder.choices,
                                   default=EntryOrder.ALL_AT_ONCE)
    # 公测: between these times the same pages run on the same launch; the orders are rehearsal orders.
    rehearsal_starts_at = models.DateTimeField(_("rehearsal starts"), null=True, blank=True)
    rehearsal_ends_at = models.DateTimeField(_("rehearsal ends"), null=True, blank=True)
    # The lottery (摇号): the frozen eligible list's digest and the seed's commitment are published before the
    # draw; the seed is kept encrypted until the draw reveals it with the public value.
    list_frozen_at = models.DateTimeField(_("list frozen"), null=True, blank=True)
    list_digest = models.CharField(_("eligible list SHA-256"), max_length=64, blank=True)
    seed = EncryptedTextField(_("seed"), blank=True)
    seed_commitment = models.CharField(_("seed SHA-256"), max_length=64, blank=True)
    public_value = models.CharField(_("public value"), max_length=100, blank=True)
    drawn_at = models.DateTimeField(_("drawn"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("launch")
        verbose_name_plural = _("launches")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="launch_ends_after_start"),
            models.CheckConstraint(condition=Q(per_buyer_limit__gte=1), name="launch_limit_positive"),
            models.CheckConstraint(condition=Q(deposit__gt=0), name="launch_deposit_positive"),
            models.CheckConstraint(condition=Q(hold_minutes__gte=1) & Q(hold_minutes__lte=120),
                                   name="launch_hold_minutes_in_range"),
            models.CheckConstraint(
                condition=Q(rehearsal_starts_at__isnull=True, rehearsal_ends_at__isnull=True)
                | Q(rehearsal_ends_at__gt=F("rehearsal_starts_at"), rehearsal_ends_at__lte=F("starts_at")),
                name="launch_rehearsal_before_the_launch",
            ),
            models.CheckConstraint(condition=Q(entry_order__in=EntryOrder.values), name="launch_entry_order_known"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, now) -> bool:
        return self.starts_at <= now < self.ends_at

    def is_rehearsing(self, now) -> bool:
        return bool(self.rehearsal_starts_at and self.rehearsal_starts_at <= now < self.rehearsal_ends_at)


class LaunchEntry(models.Model):
    """One pledge on a launch's eligible list, with its place once the lottery has drawn it."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="entries")
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="entries")
    place = models.PositiveIntegerField(_("place"), null=True, blank=True)

    class Meta:
        verbose_name = _("eligible buyer")
        verbose_name_plural = _("eligible buyers")
        ordering = ["launch", "place", "pledge__number"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "pledge"], name="launch_entry_once_per_pledge"),
            models.UniqueConstraint(fields=["launch", "place"], name="launch_entry_place_unique"),
            models.CheckConstraint(condition=Q(place__isnull=True) | Q(place__gte=1),
                                   name="launch_entry_place_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.launch_id}/{self.pledge_id} #{self.place or '-'}"


class LaunchBatch(models.Model):
    """分批选房: the buyers drawn at places first_place…last_place select between starts_at and ends_at."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveSmallIntegerField(_("batch"))
    first_place = models.PositiveIntegerField(_("from place"))
    last_place = models.PositiveIntegerField(_("to place"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["launch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "number"], name="launch_batch_number_unique"),
            models.CheckConstraint(condition=Q(first_place__gte=1) & Q(last_place__gte=F("first_place")),
                                   name="launch_batch_places_in_order"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="launch_batch_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.launch_id} batch {self.number}"


class LaunchUnit(models.Model):
    """A unit offered in a launch, named to buyers only by its token (unguessable, per launch)."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="launch_units")
    unit = models.ForeignKey("catalogue.Unit", on_delete=models.PROTECT, related_name="launch_units")
    token = models.CharField(max_length=32, unique=True)
    # The rehearsal's own tokens: what a rehearsal hands out tells nothing about the real launch's.
    rehearsal_token = models.CharField(max_length=32, unique=True)
    is_reserved = models.BooleanField(_("reserved by the developer (预留)"), default=False)
    # The rehearsal's own availability: rehearsal claims change this, never the unit.
    is_rehearsal_held = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("launch unit")
        verbose_name_plural = _("launch units")
        constraints = [models.UniqueConstraint(fields=["launch", "unit"], name="launch_unit_once_per_launch")]

    def __str__(self) -> str:
        return f"{self.launch_id}/{self.unit_id}"


class Favourite(models.Model):
    """收藏: a unit a buyer marks before the start, in their order of preference (rank 1 first); at the start the
    page offers the next favourite when one is taken."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="favourites")
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="favourites")
    launch_unit = models.ForeignKey(LaunchUnit, on_delete=models.CASCADE, related_name="favourites")
    rank = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["launch", "pledge", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "pledge", "launch_unit"], name="favourite_once_per_unit"),
            models.UniqueConstraint(fields=["launch", "pledge", "rank"], name="favourite_rank_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pledge_id} #{self.rank}"


class OrderStatus(models.TextChoices):
    HELD = "held", _("Held")
    SUBSCRIBED = "subscribed", _("Subscribed")
    SIGNED = "signed", _("Signed")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


ACTIVE_ORDER_STATUSES = (OrderStatus.HELD, OrderStatus.SUBSCRIBED, OrderStatus.SIGNED)

# The order lifecycle (DESIGN): held → subscribed → signed → closed; or expired / cancelled / refunded. One more
# move happens only in `order_deposit_received`: expired → held, when a late deposit finds the unit still free.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.HELD: frozenset({OrderStatus.SUBSCRIBED, OrderStatus.EXPIRED, OrderStatus.CANCELLED}),
    OrderStatus.SUBSCRIBED: frozenset({OrderStatus.SIGNED, OrderStatus.REFUNDED}),
    OrderStatus.SIGNED: frozenset({OrderStatus.CLOSED, OrderStatus.REFUNDED}),
}


class Order(models.Model):
    """认购 order: a unit held in a launch by one pledged buyer, then subscribed, signed — the deal that
    payments, contracts and referral commissions hang on."""

    launch = models.ForeignKey(Launch, on_delete=models.PROTECT, related_name="orders")
    unit = models.ForeignKey("catalogue.Unit", on_delete=models.PROTECT, related_name="orders")
    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey("crm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="orders", verbose_name=_("customer"))
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.HELD)
    is_rehearsal = models.BooleanField(_("rehearsal"), default=False)
    slot = models.PositiveSmallIntegerField()
    buyer_limit = models.PositiveSmallIntegerField()
    price = models.BigIntegerField(_("price (fen)"))
    held_at = models.DateTimeField(_("held"), default=timezone.now)
    held_until = models.DateTimeField(_("held until"))
    # 认购书: signed by the buyer on the phone within the hold, before the deposit is paid.
    subscription_form_signed_at = models.DateTimeField(_("subscription form signed"), null=True, blank=True)
    subscription_signature = models.FileField(_("buyer's signature"), upload_to="launch/signatures/", blank=True)
    deposit_paid_at = models.DateTimeField(_("deposit paid"), null=True, blank=True)
    subscribed_at = models.DateTimeField(_("subscribed"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-held_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(status__in=ACTIVE_ORDER_STATUSES, is_rehearsal=False),
                                    name="order_one_active_per_unit"),
            models.UniqueConstraint(fields=["launch", "unit"],
                                    condition=Q(status__in=ACTIVE_ORDER_STATUSES, is_rehearsal=True),
                                    name="order_one_active_rehearsal_per_unit"),
            models.UniqueConstraint(fields=["launch", "pledge", "slot", "is_rehearsal"],
                                    condition=Q(status__in=ACTIVE_ORDER_STATUSES), name="order_buyer_slot_once"),
            models.CheckConstraint(condition=Q(slot__gte=1) & Q(slot__lte=F("buyer_limit")),
                                   name="order_slot_within_buyer_limit"),
            models.CheckConstraint(condition=Q(price__gt=0), name="order_price_positive"),
            models.CheckConstraint(condition=Q(held_until__gt=F("held_at")), name="order_hold_ends_after_start"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_known"),
        ]
        indexes = [
            models.Index(fields=["status", "held_until"], name="order_holds_by_expiry",
                         condition=Q(status="held")),
            models.Index(fields=["launch", "pledge", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.launch_id}/{self.unit_id} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ORDER_STATUSES


class SigningCertificate(models.Model):
    """The organisation's certificate for signing contracts (PAdES); the demo generates its own CA and one."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE,
                                        related_name="signing_certificate")
    ca_pem = models.TextField(_("CA certificate (PEM)"))
    certificate_pem = models.TextField(_("certificate (PEM)"))
    private_key_pem = EncryptedTextField(_("private key (PEM)"))
    # The demo's own time-stamping authority, issued by the same CA (blank with a real TSA: CONTRACT_TSA_URL).
    tsa_certificate_pem = models.TextField(_("TSA certificate (PEM)"), blank=True)
    tsa_private_key_pem = EncryptedTextField(_("TSA private key (PEM)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")

    def __str__(self) -> str:
        return str(self.organization)


class Contract(models.Model):
    """签约: the purchase contract of an order, signed by the buyer on the phone and digitally by the developer.
    Its SHA-256 is kept so that anyone can check a copy against it."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="contract")
    number = models.CharField(_("contract number"), max_length=30, unique=True)
    pdf = models.FileField(_("signed PDF"), upload_to="launch/contracts/")
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    buyer_signature = models.FileField(_("buyer's signature"), upload_to="launch/signatures/")
    signed_at = models.DateTimeField(_("signed"), default=timezone.now)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_at", "-id"]

    def __str__(self) -> str:
        return self.number
