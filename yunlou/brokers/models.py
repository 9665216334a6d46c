"""全民经纪: brokers and their invite tree, per-project referral rules (versioned), reports (报备), the
commission ledger and its settlement batches, and promotion materials.

The invariants money and claims depend on are constraints here:
- one exclusive valid claim per number form and project (a partial unique index on the report's identity key
  while it is reported/visited/dealt); one visited-or-better report per customer and project;
- a commission is created once per report, deal, level and stage, and a claw-back once per paid entry;
- commissions are positive, claw-backs negative; a paid entry is in a settlement batch.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunlou.brokers.phones import NumberMode
from yunlou.core.fields import EncryptedTextField

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from a screen


def new_code(length: int = 8) -> str:
    # 32 letters: each random byte modulo 32 is uniform (256 = 8 × 32), at a tenth of secrets.choice's cost.
    return "".join(CODE_ALPHABET[byte % 32] for byte in secrets.token_bytes(length))


class Agency(models.Model):
    """中介公司: one account for an agency, whose own agents are brokers beneath it."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(_("agency"), max_length=60)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="agency_name_unique_in_org")]

    def __str__(self) -> str:
        return self.name


class BrokerStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")


class Broker(models.Model):
    """经纪人: a person who brings buyers to one developer's projects, invited by someone (the upline, 二级)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="brokers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="broker_roles")
    real_name = models.CharField(_("real name"), max_length=30)
    status = models.CharField(_("status"), max_length=10, choices=BrokerStatus.choices, default=BrokerStatus.PENDING)
    # Whoever's invite brought them: a consultant, a channel manager or another broker. Earns the second level.
    upline = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="downline_brokers", verbose_name=_("invited by"))
    agency = models.ForeignKey(Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents",
                               verbose_name=_("agency"))
    is_agency_manager = models.BooleanField(_("agency manager"), default=False)
    bank_name = models.CharField(_("bank"), max_length=40, blank=True)
    bank_account = EncryptedTextField(_("bank account"), blank=True, default="")
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("broker")
        verbose_name_plural = _("brokers")
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="broker_once_per_org"),
            models.CheckConstraint(condition=Q(is_agency_manager=False) | Q(agency__isnull=False),
                                   name="broker_agency_manager_has_agency"),
        ]

    def __str__(self) -> str:
        return self.real_name

    @property
    def masked_bank_account(self) -> str:
        account = self.bank_account or ""
        return f"**** {account[-4:]}" if account else ""


class InviteCode(models.Model):
    """A personal invite: the link and QR that make whoever signs up with it a broker beneath its owner."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="invites")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invite_codes")
    code = models.CharField(_("invite code"), max_length=12, unique=True, default=new_code)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "owner"], name="invite_once_per_owner")]

    def __str__(self) -> str:
        return self.code


class VisitWindow(models.TextChoices):
    DAYS = "days", _("Days after the report")
    HOURS = "hours", _("Hours after the report")
    UNTIL = "until", _("Until a time of day")


class DirectMode(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    PERCENT = "percent", _("Share of the price")


class UplineMode(models.TextChoices):
    NONE = "none", _("None")
    FIXED = "fixed", _("Fixed amount")
    PERCENT = "percent", _("Share of the direct commission")


class PayableOn(models.TextChoices):
    SIGNING = "signing", _("At signing")
    COLLECTED = "collected", _("Once a share of the price is collected")
    LOAN = "loan", _("At loan disbursement")


class ReferralRules(models.Model):
    """One version of a project's referral and commission rules. Versions are never edited: a change writes the
    next version, and a report is judged for ever by the version in force when it was made."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.CASCADE, related_name="referral_rules")
    version = models.PositiveIntegerField(_("version"))
    is_open = models.BooleanField(_("taking reports"), default=True)
    number_mode = models.CharField(_("number form"), max_length=4, choices=NumberMode.choices,
                                   default=NumberMode.MASKED_34)
    repeat_allowed = models.BooleanField(_("a broker may report a customer again after his report lapsed"),
                                         default=True)
    lead_minutes = models.PositiveIntegerField(_("minimum minutes between report and visit"), default=30)
    visit_window = models.CharField(_("visit window"), max_length=5, choices=VisitWindow.choices,
                                    default=VisitWindow.DAYS)
    visit_window_value = models.PositiveIntegerField(_("visit window length"), default=7)
    visit_until = models.TimeField(_("visit by (time of day)"), null=True, blank=True)
    protection_days = models.PositiveIntegerField(_("protection after the visit (days)"), default=30)
    deal_days = models.PositiveIntegerField(_("report to deal (days, 0 = no limit)"), default=90)
    visit_is_king = models.BooleanField(_("到访为王: whoever brings the customer in person owns him"), default=False)
    daily_cap = models.PositiveIntegerField(_("reports per broker per day (0 = no cap)"), default=20)
    direct_mode = models.CharField(_("direct commission"), max_length=8, choices=DirectMode.choices,
                                   default=DirectMode.PERCENT)
    direct_fixed = models.BigIntegerField(_("direct fixed amount (fen)"), default=0)
    direct_basis_points = models.PositiveIntegerField(_("direct share of the price (‱)"), default=50)
    upline_mode = models.CharField(_("second-level commission"), max_length=8, choices=UplineMode.choices,
                                   default=UplineMode.PERCENT)
    upline_fixed = models.BigIntegerField(_("second-level fixed amount (fen)"), default=0)
    upline_basis_points = models.PositiveIntegerField(_("second-level share of the direct commission (‱)"),
                                                      default=1000)
    visit_bonus = models.BigIntegerField(_("带看 bonus per confirmed visit (fen)"), default=0)
    subscribe_share_percent = models.PositiveSmallIntegerField(
        _("share of the deal commission paid at subscription (%)"), default=0)
    payable_on = models.CharField(_("deal commission payable"), max_length=10, choices=PayableOn.choices,
                                  default=PayableOn.SIGNING)
    payable_collected_percent = models.PositiveSmallIntegerField(_("collected share that makes it payable (%)"),
                                                                 default=30)
    created_at = models.DateTimeField(_("in force from"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("referral rules")
        verbose_name_plural = _("referral rules")
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="referral_rules_version_unique"),
            models.CheckConstraint(condition=Q(direct_fixed__gte=0) & Q(upline_fixed__gte=0) & Q(visit_bonus__gte=0),
                                   name="referral_rules_amounts_not_negative"),
            models.CheckConstraint(condition=Q(direct_basis_points__lte=10_000) & Q(upline_basis_points__lte=10_000),
                                   name="referral_rules_shares_at_most_whole"),
            models.CheckConstraint(
                condition=Q(subscribe_share_percent__lte=100) & Q(payable_collected_percent__lte=100),
                name="referral_rules_percents_at_most_whole"),
            models.CheckConstraint(condition=~Q(visit_window="until") | Q(visit_until__isnull=False),
                                   name="referral_rules_until_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.version}"


class ReferralStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    VISITED = "visited", _("Visited")
    SUBSCRIBED = "subscribed", _("Subscribed")
    SIGNED = "signed", _("Signed")
    SETTLED = "settled", _("Settled")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected")


REFERRAL_TRANSITIONS = {
    ReferralStatus.REPORTED: {ReferralStatus.VISITED, ReferralStatus.EXPIRED, ReferralStatus.REJECTED},
    ReferralStatus.VISITED: {ReferralStatus.SUBSCRIBED, ReferralStatus.SIGNED, ReferralStatus.EXPIRED},
    ReferralStatus.SUBSCRIBED: {ReferralStatus.SIGNED, ReferralStatus.VISITED},  # back to visited on 退房
    ReferralStatus.SIGNED: {ReferralStatus.SETTLED, ReferralStatus.VISITED},
    ReferralStatus.SETTLED: {ReferralStatus.VISITED},
    ReferralStatus.EXPIRED: set(),
    ReferralStatus.REJECTED: set(),
}
CLAIMING_STATUSES = (ReferralStatus.REPORTED, ReferralStatus.VISITED, ReferralStatus.SUBSCRIBED,
                     ReferralStatus.SIGNED, ReferralStatus.SETTLED)
OWNING_STATUSES = (ReferralStatus.VISITED, ReferralStatus.SUBSCRIBED, ReferralStatus.SIGNED, ReferralStatus.SETTLED)


class RejectReason(models.TextChoices):
    PROTECTED = "protected", _("The customer is already protected in this project")
    ALREADY_VISITED = "already_visited", _("The customer had already visited the sales office")
    OWN_REPEAT = "own_repeat", _("You have reported this customer already")
    AT_THE_DOOR = "at_the_door", _("The visit came sooner after the report than the rules allow")


class Referral(models.Model):
    """报备: a broker's claim on a customer for a project, judged by the rules version in force when made."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="referrals")
    project = models.ForeignKey("catalogue.Project", on_delete=models.PROTECT, related_name="referrals",
                                verbose_name=_("project"))
    broker = models.ForeignKey(Broker, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("broker"))
    # No index of their own on rules and who confirmed: nothing looks reports up by them, and every index is
    # written by every report (bench/referral.py).
    rules = models.ForeignKey(ReferralRules, on_delete=models.PROTECT, related_name="referrals", db_index=False)
    customer_name = models.CharField(_("customer"), max_length=30)
    number_mode = models.CharField(max_length=4, choices=NumberMode.choices)
    phone_shown = models.CharField(_("phone"), max_length=11)  # the mask, for masked reports; "" for full ones
    phone = EncryptedTextField(_("phone"), blank=True, default="")  # the full number, only when reported in full
    identity_key = models.CharField(max_length=64)
    key_full = models.CharField(max_length=64, null=True, blank=True)
    key_34 = models.CharField(max_length=64, null=True, blank=True)
    key_43 = models.CharField(max_length=64, null=True, blank=True)
    key_33 = models.CharField(max_length=64)
    is_exclusive = models.BooleanField(default=True)  # False under 到访为王: reports do not exclude each other
    status = models.CharField(_("status"), max_length=12, choices=ReferralStatus.choices,
                              default=ReferralStatus.REPORTED)
    reject_reason = models.CharField(_("reason"), max_length=20, choices=RejectReason.choices, blank=True)
    intended_visit_at = models.DateTimeField(_("intended visit"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    visit_deadline = models.DateTimeField(_("visit by"), null=True, blank=True)
    visit_code = models.CharField(_("visit code"), max_length=12, unique=True, null=True, blank=True)
    visited_at = models.DateTimeField(_("visited"), null=True, blank=True)
    visit_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                           blank=True, related_name="+", db_index=False)
    protected_until = models.DateTimeField(_("protected until"), null=True, blank=True)
    deal_deadline = models.DateTimeField(_("deal by"), null=True, blank=True)
    customer = models.ForeignKey("crm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="referrals")
    order = models.ForeignKey("launch.Order", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="referrals")
    ended_at = models.DateTimeField(null=True, blank=True)
    device_id = models.UUIDField(null=True, blank=True)  # the reporting browser's first-party visitor id
    # Made for the broker when a visitor who came by his share link left his own number (SMS-proved): the number
    # is kept in full for the desk, and the broker, who never had it, sees its mask.
    via_link = models.BooleanField(_("through the share link"), default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "identity_key"],
                                    condition=Q(status__in=CLAIMING_STATUSES, is_exclusive=True),
                                    name="referral_one_exclusive_claim_per_number"),
            models.UniqueConstraint(fields=["project", "customer"], condition=Q(status__in=OWNING_STATUSES),
                                    name="referral_one_owner_per_customer"),
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values), name="referral_status_known"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reject_reason=""),
                                   name="referral_rejection_has_reason"),
            models.CheckConstraint(condition=Q(status__in=("reported", "rejected", "expired"))
                                   | Q(visited_at__isnull=False), name="referral_owner_has_visit"),
        ]
        indexes = [
            # Every report that may be a given person shares his number's 3+3 key (brokers.phones): the
            # protection check reads them through this index, whatever the forms.
            models.Index(fields=["project", "key_33"]),
            models.Index(fields=["broker", "-reported_at"]),
            models.Index(fields=["status", "visit_deadline"]),
            models.Index(fields=["status", "protected_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} {self.phone_shown}"


class Stage(models.TextChoices):
    VISIT = "visit", _("带看 visit")
    SUBSCRIBE = "subscribe", _("认购 subscription")
    DEAL = "deal", _("Deal")


class EntryKind(models.TextChoices):
    COMMISSION = "commission", _("Commission")
    CLAWBACK = "clawback", _("Claw-back")


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAYABLE = "payable", _("Payable")
    PAID = "paid", _("Paid")
    REVERSED = "reversed", _("Reversed")
    OWED = "owed", _("Owed back")  # a claw-back not yet deducted from a settlement


ENTRY_TRANSITIONS = {
    EntryStatus.PENDING: {EntryStatus.PAYABLE, EntryStatus.REVERSED},
    EntryStatus.PAYABLE: {EntryStatus.PAID, EntryStatus.REVERSED},
    EntryStatus.PAID: set(),  # a paid entry is never reversed: a claw-back is written against it
    EntryStatus.REVERSED: set(),
    EntryStatus.OWED: {EntryStatus.PAID},
}


class SettlementStatus(models.TextChoices):
    APPROVED = "approved", _("Approved, awaiting payment")
    PAID = "paid", _("Paid")


class SettlementBatch(models.Model):
    """结佣批次: payable entries (and owed claw-backs, deducted) a channel manager approved; finance pays it."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="settlement_batches")
    number = models.CharField(_("batch"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=SettlementStatus.choices,
                              default=SettlementStatus.APPROVED)
    total = models.BigIntegerField(_("total (fen)"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved"), default=timezone.now)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement batch")
        verbose_name_plural = _("settlement batches")
        ordering = ["-approved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="settlement_number_unique"),
            models.CheckConstraint(condition=Q(total__gte=0), name="settlement_total_not_negative"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_at__isnull=False),
                                   name="settlement_paid_has_time"),
        ]

    def __str__(self) -> str:
        return self.number


class CommissionEntry(models.Model):
    """One line of the commission ledger: what one person earns (or owes back) for one stage of one deal."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="commissions")
    order = models.ForeignKey("launch.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="commissions")
    deal_key = models.CharField(max_length=30)  # "visit", or "order:<id>": what the entry is for
    beneficiary = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="commissions", verbose_name=_("earner"))
    level = models.PositiveSmallIntegerField(_("level"))  # 1 direct (一级), 2 upline (二级)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices, default=EntryKind.COMMISSION)
    amount = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="clawback")
    batch = models.ForeignKey(SettlementBatch, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="entries")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    payable_at = models.DateTimeField(_("payable since"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission entry")
        verbose_name_plural = _("commission entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "deal_key", "level", "stage"],
                                    condition=Q(kind="commission"), name="commission_once_per_stage"),
            models.CheckConstraint(condition=(Q(kind="commission") & Q(amount__gt=0) & Q(reverses__isnull=True))
                                   | (Q(kind="clawback") & Q(amount__lt=0) & Q(reverses__isnull=False)),
                                   name="commission_sign_by_kind"),
            models.CheckConstraint(condition=~Q(status="paid") | (Q(batch__isnull=False) & Q(paid_at__isnull=False)),
                                   name="commission_paid_in_a_batch"),
            models.CheckConstraint(condition=Q(level__in=(1, 2)), name="commission_level_one_or_two"),
            models.CheckConstraint(condition=Q(status__in=EntryStatus.values), name="commission_status_known"),
        ]
        indexes = [models.Index(fields=["beneficiary", "status"]), models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} L{self.level} {self.amount}"


class MaterialKind(models.TextChoices):
    POSTER = "poster", _("Poster")
    COPY = "copy", _("Copy to share")
    TUTORIAL = "tutorial", _("Tutorial")


class PromoMaterial(models.Model):
    """拓客素材: what the channel team gives brokers and consultants to share."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.CASCADE, related_name="promo_materials",
                                verbose_name=_("project"))
    kind = models.CharField(_("kind"), max_length=10, choices=MaterialKind.choices)
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), blank=True)
    image = models.ImageField(_("image"), upload_to="brokers/materials/", blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("promotion material")
        verbose_name_plural = _("promotion materials")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

