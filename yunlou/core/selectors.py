from django.db.models import QuerySet

from yunlou.accounts.staff import Staff
from yunlou.core.models import AuditLog


def audit_log_list(*, staff: Staff, action: str = "") -> QuerySet[AuditLog]:
    """The organisation's audit log; nobody sees another organisation's entries."""
    entries = AuditLog.objects.filter(organization=staff.organization).select_related("actor")
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-created_at", "-id")
