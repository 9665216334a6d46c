"""What each staff role may do. Selectors and services ask here; templates ask through `staff.can`."""

from yunlou.accounts.models import Role

VIEW_CATALOGUE = "catalogue.view"
MANAGE_CATALOGUE = "catalogue.manage"
VIEW_GRID = "grid.view"
CHANGE_UNIT_STATUS = "grid.change_status"
IMPORT_PRICE_LIST = "price_list.import"
EXPORT_PRICE_LIST = "price_list.export"
VIEW_SALES_FIGURES = "sales.view_figures"  # sales amounts and 货值 (sold amount, available value)
VIEW_AUDIT_LOG = "audit.view"
USE_WORKBENCH = "workbench.use"  # share links, own customers, consultations, notifications
VIEW_PROJECT_CUSTOMERS = "customers.view_project"  # every customer of the covered projects
REASSIGN_CUSTOMER = "customers.reassign"
MANAGE_LAUNCH = "launch.manage"  # pledges, launches, the lottery, rehearsals
MANAGE_BROKERS = "brokers.manage"  # brokers, agencies, referral and commission rules, settlements, fraud flags
CONFIRM_VISITS = "visits.confirm"  # 来访登记 and 带看确认 at the front desk
PAY_COMMISSIONS = "commissions.pay"  # marking a settlement batch paid
RECORD_PAYMENTS = "payments.record"  # counter payments (POS, transfer), refunds, asking the gateway (收款)

_EVERY_STAFF = {VIEW_CATALOGUE, VIEW_GRID}
_MANAGING = _EVERY_STAFF | {MANAGE_CATALOGUE, CHANGE_UNIT_STATUS, IMPORT_PRICE_LIST, EXPORT_PRICE_LIST,
                            VIEW_SALES_FIGURES, VIEW_AUDIT_LOG, USE_WORKBENCH, VIEW_PROJECT_CUSTOMERS,
                            REASSIGN_CUSTOMER, MANAGE_LAUNCH}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(_MANAGING | {RECORD_PAYMENTS, MANAGE_BROKERS, CONFIRM_VISITS, PAY_COMMISSIONS}),
    Role.MANAGER: frozenset(_MANAGING | {CONFIRM_VISITS}),
    Role.CONSULTANT: frozenset(_EVERY_STAFF | {USE_WORKBENCH}),
    Role.RECEPTIONIST: frozenset(_EVERY_STAFF | {CONFIRM_VISITS}),
    Role.CHANNEL: frozenset(_EVERY_STAFF | {MANAGE_BROKERS}),
    Role.FINANCE: frozenset(_EVERY_STAFF | {EXPORT_PRICE_LIST, VIEW_SALES_FIGURES, VIEW_AUDIT_LOG, RECORD_PAYMENTS,
                                            PAY_COMMISSIONS}),
}


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
