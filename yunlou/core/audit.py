"""The audit log's one writer. Call it inside the transaction that makes the change."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from yunlou.core.models import AuditLog

# What each action code means to a person reading the log, and how to name the values it records.
# Apps register their actions in AppConfig.ready().
ACTION_LABELS: dict[str, str] = {}
FIELD_LABELS: dict[str, str] = {}
VALUE_LABELS: dict[str, dict[str, str]] = {}


def register_audit_action(
    action: str, label: str, *, fields: dict[str, str] | None = None, values: dict[str, dict[str, str]] | None = None
) -> None:
    ACTION_LABELS[action] = label
    FIELD_LABELS.update(fields or {})
    for field_name, labels in (values or {}).items():
        VALUE_LABELS.setdefault(field_name, {}).update(labels)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the load balancer the first X-Forwarded-For hop is the client; trust it only there.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")) or None


def audit_record(
    *,
    action: str,
    target: models.Model,
    actor=None,
    organization=None,
    changes: dict[str, Any] | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        changes=changes or {},
        note=note,
        ip_address=client_ip(request),
    )
