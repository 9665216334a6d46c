"""The launch's records in the admin, to read: launches, pledges, orders and contracts change only through the
services (in one transaction, audited, guarded by constraints), never by editing a row — for the platform
operator as much as for an organisation admin. Pledges show the buyer's phone and ID number masked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yunlou.core.admin_scope import ReadOnlyScopedAdmin
from yunlou.launch.models import Contract, Launch, Order, Pledge


@admin.register(Launch)
class LaunchAdmin(ReadOnlyScopedAdmin):
    organization_path = "project__organization"
    list_display = ["name", "project", "starts_at", "ends_at", "per_buyer_limit", "entry_order", "drawn_at"]
    list_filter = ["project__organization", "project"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name"]
    exclude = ["seed"]  # secret until the draw reveals it on the public page


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyScopedAdmin):
    organization_path = "project__organization"
    list_display = ["number", "name", "masked_phone", "project", "amount", "status", "source", "created_at"]
    list_filter = ["status", "source", "project__organization", "project"]
    list_select_related = ["project"]
    search_fields = ["number", "name", "project__name"]
    fields = ["project", "number", "name", "masked_phone", "masked_id_number", "amount", "status", "source",
              "buyer", "created_at", "refunded_at"]
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def masked_phone(self, pledge):
        return pledge.masked_phone

    @admin.display(description=_("ID number"))
    def masked_id_number(self, pledge):
        return pledge.masked_id_number


@admin.register(Order)
class OrderAdmin(ReadOnlyScopedAdmin):
    organization_path = "launch__project__organization"
    list_display = ["pk", "launch", "unit", "pledge", "status", "is_rehearsal", "price", "held_at", "signed_at"]
    list_filter = ["status", "is_rehearsal", "launch__project__organization", "launch"]
    list_select_related = ["launch", "unit", "pledge"]
    search_fields = ["unit__code", "pledge__number", "launch__name"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyScopedAdmin):
    organization_path = "order__launch__project__organization"
    list_display = ["number", "order", "sha256", "signed_at"]
    list_select_related = ["order__launch", "order__unit"]
    search_fields = ["number", "sha256"]
