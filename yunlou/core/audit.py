"""The audit log's one writer. Call it inside the transaction that makes the change."""

import ipaddress
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from yunlou.core.models import AuditLog
from yunlou.core.sql import instance_new

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
    """The client's address. X-Forwarded-For is believed only for the hops our own proxies add
    (TRUSTED_PROXY_COUNT); anyone can send the header, so without trusted proxies it is ignored."""
    if request is None:
        return None
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            # Each trusted proxy appends the address it saw; the client is the one our first proxy appended.
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def audit_record(**details) -> AuditLog:
    """Record a change (`audit_entry`'s arguments), in the caller's transaction."""
    entry = audit_entry(**details)
    entry.save(force_insert=True)
    return entry


def audit_entry(
    *,
    action: str,
    target: models.Model,
    actor=None,
    project=None,
    organization=None,
    changes: dict[str, Any] | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> AuditLog:
    """An audit entry, unsaved: `audit_record` saves it; a hot path may write it in one statement with its
    target. `project` scopes the entry (staff read only their projects' entries) and implies the organisation;
    organisation-wide actions pass `organization` alone."""
    return instance_new(
        AuditLog,
        organization_id=project.organization_id if project is not None else getattr(organization, "pk", None),
        project=project,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        changes=changes or {},
        note=note,
        ip_address=client_ip(request),
    )
