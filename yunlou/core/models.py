from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    """Who did what to which record, when, and what changed. Written in the same transaction as the change."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True,
        related_name="audit_entries", verbose_name=_("organization"),
    )
    project = models.ForeignKey(
        "catalogue.Project", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries",
        verbose_name=_("project"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="audit_entries", verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=64)
    target_label = models.CharField(_("target"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"

    @property
    def action_label(self) -> str:
        from yunlou.core.audit import ACTION_LABELS

        return str(ACTION_LABELS.get(self.action, self.action))

    def change_lines(self, limit: int = 6) -> list[str]:
        """The changes as short readable lines (`状态: 可售 → 不可售`), big lists summarised."""
        from yunlou.core.audit import FIELD_LABELS, VALUE_LABELS

        lines = []
        for field_name, value in self.changes.items():
            key = FIELD_LABELS.get(field_name, field_name)
            names = VALUE_LABELS.get(field_name, {})
            if isinstance(value, list) and len(value) == 2 and not any(isinstance(v, list | dict) for v in value):
                before, after = ("—" if v is None else str(names.get(v, v)) for v in value)
                lines.append(f"{key}: {before} → {after}")
            elif isinstance(value, list | dict):
                items = list(value)[:limit]
                more = f" … (+{len(value) - limit})" if len(value) > limit else ""
                lines.append(f"{key}: {', '.join(map(str, items))}{more}" if items else f"{key}: —")
            else:
                lines.append(f"{key}: {value}")
        return lines


class Notification(models.Model):
    """An in-app message for one user (a consultant's new lead, later radar alerts and launch events)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    # The organisation the news is about: staff read only their current organisation's notifications.
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="notifications", verbose_name=_("organization"))
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title
