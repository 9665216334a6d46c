from django.db.models import Q, QuerySet

from yunlou.accounts.staff import Staff
from yunlou.core.models import AuditLog


def audit_log_list(*, staff: Staff, action: str = "") -> QuerySet[AuditLog]:
    """The organisation's audit log, limited to the caller's projects (and organisation-wide entries)."""
    entries = AuditLog.objects.filter(organization=staff.organization).select_related("actor")
    if staff.project_ids is not None:
        entries = entries.filter(Q(project__isnull=True) | Q(project_id__in=staff.project_ids))
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-created_at", "-id")
