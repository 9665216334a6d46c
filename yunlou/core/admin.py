from django.contrib import admin

from yunlou.core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
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
