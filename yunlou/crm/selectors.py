"""Reads of customers and consultations, scoped to who asks: the caller's organisation and covered
projects always; a consultant's own customers and consultations only, unless the role sees the project's."""

from django.db.models import QuerySet

from yunlou.accounts.permissions import VIEW_PROJECT_CUSTOMERS
from yunlou.accounts.staff import Staff
from yunlou.crm.models import Consultation, Customer


def _scoped(queryset: QuerySet, staff: Staff) -> QuerySet:
    queryset = queryset.filter(project__organization=staff.organization)
    if staff.project_ids is not None:
        queryset = queryset.filter(project_id__in=staff.project_ids)
    return queryset


def customer_list(*, staff: Staff) -> QuerySet[Customer]:
    customers = _scoped(Customer.objects.select_related("project", "owner"), staff)
    if not staff.can(VIEW_PROJECT_CUSTOMERS):
        customers = customers.filter(owner=staff.user)
    return customers.order_by("-last_contact_at", "-created_at", "-id")


def consultation_list(*, staff: Staff) -> QuerySet[Consultation]:
    """The caller's own consultations, in the projects they still cover (a consultant who moved to
    another developer no longer reads the old one's)."""
    consultations = _scoped(Consultation.objects.select_related("customer", "unit", "project"), staff)
    return consultations.filter(consultant=staff.user).order_by("handled_at", "-created_at")
