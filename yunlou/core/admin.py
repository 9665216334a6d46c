from django.contrib import admin

from yunlou.core.admin_scope import OrganizationScopedAdmin, platform_only_admins
from yunlou.core.models import AuditLog

# The admins registered before this module (django.contrib.auth's groups, django-axes' login records) hold
# platform data: only the platform operator sees them. Every admin of ours is organisation-scoped.
platform_only_admins()


@admin.register(AuditLog)
class AuditLogAdmin(OrganizationScopedAdmin):
    organization_path = "organization"
    organization_admin_permissions = ("view",)
    list_display = ["created_at", "organization", "actor", "action", "target_label"]
    list_filter = ["organization", "action"]
    search_fields = ["target_label", "action"]
    date_hierarchy = "created_at"

    # The audit log is append-only, in the admin too.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
