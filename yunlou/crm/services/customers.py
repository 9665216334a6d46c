from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import VIEW_PROJECT_CUSTOMERS
from yunlou.accounts.staff import Staff
from yunlou.core.audit import audit_record
from yunlou.core.errors import Forbidden, NotFound
from yunlou.crm.models import Customer
from yunlou.crm.selectors import consultation_list


def customer_phone_reveal(*, staff: Staff, customer_id: int, request=None) -> str:
    """The full number, for the consultant who owns the customer only; every reveal is audited, and so is
    every refused one.

    Someone who may not see the customer at all (another consultant) gets the same answer as for a customer
    that does not exist, so that asking does not tell them whose customer it is; a manager, who sees the
    customer masked, is told the number is the owner's to see.
    """
    customer = (
        Customer.objects.select_related("project").filter(pk=customer_id, project__organization=staff.organization)
        .first()
    )
    if customer is None or not staff.covers(customer.project):
        raise NotFound(_("No such customer."), field="customer")
    if customer.owner_id == staff.user.pk:
        with transaction.atomic():
            audit_record(action="customer.phone_reveal", target=customer, actor=staff.user,
                         project=customer.project, request=request)
        return customer.phone
    with transaction.atomic():  # recorded before the refusal is raised, so that it stays recorded
        audit_record(action="customer.phone_reveal_refused", target=customer, actor=staff.user,
                     project=customer.project, request=request)
    if staff.can(VIEW_PROJECT_CUSTOMERS):
        raise Forbidden(_("Only the customer's own consultant may see the full number."))
    raise NotFound(_("No such customer."), field="customer")


def consultations_mark_handled(*, staff: Staff, ids: list[int]) -> int:
    return consultation_list(staff=staff).filter(pk__in=ids, handled_at__isnull=True).update(handled_at=timezone.now())
