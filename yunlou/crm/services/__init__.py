"""Every write to customers and bindings. Subjects live in their own modules."""

from yunlou.crm.services.bindings import binding_claim, binding_for_visitor, binding_reassign, bindings_expire
from yunlou.crm.services.consultations import consultation_submit
from yunlou.crm.services.customers import consultations_mark_handled, customer_phone_reveal
from yunlou.crm.services.rotation import (
    consultant_rotation_next,
    consultant_rotation_next_id,
    project_consultant_ids,
    project_consultants,
)

__all__ = [
    "binding_claim",
    "binding_for_visitor",
    "binding_reassign",
    "bindings_expire",
    "consultant_rotation_next",
    "consultation_submit",
    "consultations_mark_handled",
    "customer_phone_reveal",
    "project_consultants",
    "consultant_rotation_next_id",
    "project_consultant_ids",
]
