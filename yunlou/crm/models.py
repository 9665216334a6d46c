from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yunlou.core.crypto import blind_index
from yunlou.core.fields import EncryptedTextField
from yunlou.core.phone import mask_phone, masked_keys

BINDING_DAYS = 30  # 锁客 lasts 30 days from the last contact (DESIGN, binding rules)


class CustomerStage(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    LEAD = "lead", _("Lead")
    VISITED = "visited", _("Visited")
    PLEDGED = "pledged", _("Pledged")
    SUBSCRIBED = "subscribed", _("Subscribed")
    SIGNED = "signed", _("Signed")
    LOST = "lost", _("Lost")


class CustomerSource(models.TextChoices):
    SHARE_LINK = "share_link", _("Consultant's share link")
    CONSULTATION = "consultation", _("Online consultation")
    WALK_IN = "walk_in", _("Walk-in")
    REFERRAL = "referral", _("Broker referral")
    OTHER = "other", _("Other")


class Customer(models.Model):
    """客户档案: a buyer of one project, known by phone number."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.PROTECT, related_name="customers",
                                verbose_name=_("project"))
    name = models.CharField(_("name"), max_length=30)
    phone = EncryptedTextField(_("phone"))
    phone_hash = models.CharField(max_length=64, editable=False)
    # What a masked report (前三后四, 前四后三) can be matched against: see brokers.phones.
    phone_key_34 = models.CharField(max_length=64, editable=False, default="")
    phone_key_43 = models.CharField(max_length=64, editable=False, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="owned_customers", verbose_name=_("consultant"))
    stage = models.CharField(_("stage"), max_length=20, choices=CustomerStage.choices, default=CustomerStage.LEAD)
    source = models.CharField(_("source"), max_length=20, choices=CustomerSource.choices,
                              default=CustomerSource.OTHER)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    first_visited_at = models.DateTimeField(_("first visit"), null=True, blank=True)
    # 公海: a customer whose protection lapsed with no deal, free for any consultant of the project to claim.
    pooled_at = models.DateTimeField(_("in the public pool since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "phone_hash"], name="customer_phone_unique_in_project"),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["project", "phone_key_34"]),
            models.Index(fields=["project", "phone_key_43"]),
            models.Index(fields=["project", "pooled_at"], condition=Q(pooled_at__isnull=False),
                         name="customer_in_pool"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_phone}"

    def save(self, *args, **kwargs):
        self.phone_hash = blind_index(self.phone)
        self.phone_key_34, self.phone_key_43 = masked_keys(self.phone)
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class CustomerVisitor(models.Model):
    """A browser (first-party visitor id cookie) known to belong to a customer, learnt when they leave a phone."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visitors")
    visitor_id = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "visitor_id"], name="customer_visitor_unique")]

    def __str__(self) -> str:
        return f"{self.customer} · {self.visitor_id}"


class BindingEnd(models.TextChoices):
    EXPIRED = "expired", _("Expired")
    REASSIGNED = "reassigned", _("Reassigned by a manager")
    SUPERSEDED = "superseded", _("Visitor turned out to be another consultant's customer")


class Binding(models.Model):
    """锁客: a buyer tied to the consultant whose link brought them, for one project.

    Before the buyer leaves a phone number the binding holds the visitor id only; the number then
    carries it over to the customer. At most one open binding exists per customer and project, and
    per anonymous visitor and project — database constraints, so two racing links cannot both win.
    """

    project = models.ForeignKey("catalogue.Project", on_delete=models.CASCADE, related_name="bindings")
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bindings",
                                   verbose_name=_("consultant"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="bindings")
    visitor_id = models.UUIDField(null=True, blank=True)
    share_code = models.ForeignKey("showroom.ShareCode", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="bindings")
    bound_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=BindingEnd.choices, blank=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        constraints = [
            models.UniqueConstraint(fields=["project", "customer"], condition=Q(ended_at__isnull=True),
                                    name="one_open_binding_per_customer_and_project"),
            models.UniqueConstraint(fields=["project", "visitor_id"],
                                    condition=Q(ended_at__isnull=True, customer__isnull=True),
                                    name="one_open_binding_per_visitor_and_project"),
            models.CheckConstraint(condition=Q(customer__isnull=False) | Q(visitor_id__isnull=False),
                                   name="binding_has_customer_or_visitor"),
        ]
        indexes = [models.Index(fields=["project", "visitor_id"]), models.Index(fields=["consultant", "-bound_at"])]

    def __str__(self) -> str:
        return f"{self.customer or self.visitor_id} → {self.consultant}"

    @staticmethod
    def term_from(moment) -> timezone.datetime:
        return moment + timedelta(days=BINDING_DAYS)


class Consultation(models.Model):
    """购房咨询: a question left on a project or unit page, with a verified phone number."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.CASCADE, related_name="consultations")
    unit = models.ForeignKey("catalogue.Unit", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="consultations", verbose_name=_("unit"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consultations")
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="consultations", verbose_name=_("consultant"))
    question = models.TextField(_("question"), blank=True)
    preferred_visit_at = models.DateTimeField(_("preferred visit time"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["consultant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.customer} · {self.created_at:%Y-%m-%d %H:%M}"


class VisitSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    REFERRAL = "referral", _("Brought by a broker (带看)")
    CHECK_IN = "check_in", _("Checked in with the office QR")


class Visit(models.Model):
    """来访/带看: a customer at the sales office, registered by the receptionist (or checked in by himself)."""

    project = models.ForeignKey("catalogue.Project", on_delete=models.CASCADE, related_name="visits")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="visits")
    source = models.CharField(_("source"), max_length=10, choices=VisitSource.choices)
    is_first = models.BooleanField(_("first visit"))
    visited_at = models.DateTimeField(_("time"), default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        indexes = [models.Index(fields=["project", "-visited_at"])]

    def __str__(self) -> str:
        return f"{self.customer} · {self.visited_at:%Y-%m-%d %H:%M}"
