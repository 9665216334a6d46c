"""Price lists (一房一价) over time: every confirmed import is a numbered version, every unit keeps the
history of its price, and an upload waits as a draft until a manager has seen its preview and confirms it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yunlou.catalogue.models.projects import Project
from yunlou.catalogue.models.units import Unit


class PriceListVersion(models.Model):
    """One confirmed price list of a project (调价记录): who, when, from which file, what changed.

    Numbers count up from 1 per project; the highest is the price list in force.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="price_list_versions",
                                verbose_name=_("project"))
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("confirmed by"))
    created_at = models.DateTimeField(_("confirmed"), auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_units = models.PositiveIntegerField(_("new units"), default=0)
    changed_units = models.PositiveIntegerField(_("changed units"), default=0)
    unchanged_units = models.PositiveIntegerField(_("unchanged units"), default=0)

    class Meta:
        verbose_name = _("price list version")
        verbose_name_plural = _("price list versions")
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="price_list_version_unique_in_project"),
            models.CheckConstraint(condition=Q(number__gte=1), name="price_list_version_counts_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · V{self.number}"


class UnitPriceChange(models.Model):
    """A unit's price as one version set it; `old_*` empty when the version created the unit."""

    version = models.ForeignKey(PriceListVersion, on_delete=models.CASCADE, related_name="changes",
                                verbose_name=_("price list version"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="price_changes", verbose_name=_("unit"))
    old_list_price = models.BigIntegerField(_("old total price (fen)"), null=True, blank=True)
    new_list_price = models.BigIntegerField(_("new total price (fen)"))
    old_unit_price = models.BigIntegerField(_("old price per m² (fen)"), null=True, blank=True)
    new_unit_price = models.BigIntegerField(_("new price per m² (fen)"))
    old_area = models.DecimalField(_("old gross area (m²)"), max_digits=7, decimal_places=2, null=True, blank=True)
    new_area = models.DecimalField(_("new gross area (m²)"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("unit price change")
        verbose_name_plural = _("unit price changes")
        ordering = ["unit", "-version__number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "unit"], name="one_price_change_per_unit_and_version"),
            models.CheckConstraint(
                condition=Q(new_list_price__gte=0) & Q(new_unit_price__gte=0)
                & (Q(old_list_price__isnull=True) | Q(old_list_price__gte=0)),
                name="unit_price_change_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["unit", "version"])]

    def __str__(self) -> str:
        return f"{self.unit} · V{self.version.number}"

    @property
    def difference(self) -> int | None:
        return None if self.old_list_price is None else self.new_list_price - self.old_list_price


class PriceListDraftStatus(models.TextChoices):
    PREVIEW = "preview", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DISCARDED = "discarded", _("Discarded")


class PriceListDraft(models.Model):
    """An uploaded price list, parsed and checked, waiting for a manager to confirm its preview.

    `plan` holds what the confirmation will write (new units, changed prices, floor plans to create) as
    plain JSON; `base_version` is the version in force when the preview was made, so that confirming a
    preview made stale by someone else's import is refused instead of overwriting it.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="price_list_drafts",
                                verbose_name=_("project"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    base_version = models.PositiveIntegerField(_("version in force at upload"), default=0)
    plan = models.JSONField(_("changes to make"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=PriceListDraftStatus.choices,
                              default=PriceListDraftStatus.PREVIEW)
    version = models.OneToOneField(PriceListVersion, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="draft", verbose_name=_("resulting version"))

    class Meta:
        verbose_name = _("price list draft")
        verbose_name_plural = _("price list drafts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PriceListDraftStatus.values),
                                   name="price_list_draft_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.file_name}"
