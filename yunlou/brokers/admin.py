"""The referral network's records in the admin. Brokers, reports, rules versions, the ledger and its batches
change only through the services (versioned, audited, guarded by constraints), so they are here to read — with
the bank account and the customers' numbers masked. Agencies and promotion materials are plain data the channel
team may edit."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yunlou.brokers.models import (
    Agency,
    Broker,
    CommissionEntry,
    PromoMaterial,
    Referral,
    ReferralRules,
    SettlementBatch,
)
from yunlou.brokers.staff_selectors import referral_masked_phone
from yunlou.core.admin_scope import OrganizationScopedAdmin, ReadOnlyScopedAdmin


@admin.register(Agency)
class AgencyAdmin(OrganizationScopedAdmin):
    organization_path = "organization"
    list_display = ["name", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name"]
    fields = ["organization", "name", "created_at"]


@admin.register(Broker)
class BrokerAdmin(ReadOnlyScopedAdmin):
    organization_path = "organization"
    list_display = ["real_name", "status", "agency", "is_agency_manager", "upline", "joined_at"]
    list_filter = ["status", "organization"]
    list_select_related = ["agency", "upline"]
    search_fields = ["real_name", "agency__name"]
    fields = ["organization", "real_name", "user", "status", "upline", "agency", "is_agency_manager", "bank_name",
              "masked_bank_account", "joined_at", "status_changed_at"]
    readonly_fields = fields

    @admin.display(description=_("bank account"))
    def masked_bank_account(self, broker):
        return broker.masked_bank_account


@admin.register(ReferralRules)
class ReferralRulesAdmin(ReadOnlyScopedAdmin):
    organization_path = "project__organization"
    list_display = ["project", "version", "number_mode", "visit_window", "direct_mode", "created_at", "created_by"]
    list_filter = ["project__organization", "project"]
    list_select_related = ["project", "created_by"]
    search_fields = ["project__name"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyScopedAdmin):
    organization_path = "organization"
    list_display = ["customer_name", "masked_phone", "project", "broker", "status", "reject_reason", "reported_at"]
    list_filter = ["status", "reject_reason", "organization", "project"]
    list_select_related = ["project", "broker"]
    search_fields = ["customer_name", "broker__real_name", "project__name"]
    # The full number and its keyed hashes are never shown; neither is the visit code (it confirms a visit).
    fields = ["organization", "project", "broker", "rules", "customer_name", "masked_phone", "number_mode", "status",
              "reject_reason", "intended_visit_at", "reported_at", "visit_deadline", "visited_at",
              "visit_confirmed_by", "protected_until", "deal_deadline", "customer", "order", "ended_at"]
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def masked_phone(self, referral):
        return referral_masked_phone(referral)


@admin.register(SettlementBatch)
class SettlementBatchAdmin(ReadOnlyScopedAdmin):
    organization_path = "organization"
    list_display = ["number", "status", "total", "approved_by", "approved_at", "paid_by", "paid_at"]
    list_filter = ["status", "organization"]
    list_select_related = ["approved_by", "paid_by"]
    search_fields = ["number"]


@admin.register(CommissionEntry)
class CommissionEntryAdmin(ReadOnlyScopedAdmin):
    organization_path = "organization"
    list_display = ["pk", "referral", "beneficiary", "level", "stage", "kind", "amount", "status", "batch",
                    "created_at"]
    list_filter = ["status", "kind", "stage", "organization"]
    list_select_related = ["referral", "beneficiary", "batch"]
    search_fields = ["referral__customer_name", "batch__number"]


@admin.register(PromoMaterial)
class PromoMaterialAdmin(OrganizationScopedAdmin):
    organization_path = "project__organization"
    list_display = ["title", "kind", "project", "created_at"]
    list_filter = ["kind", "project__organization", "project"]
    list_select_related = ["project"]
    search_fields = ["title", "project__name"]
