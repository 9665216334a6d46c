from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.staff import Staff
from yunlou.core.audit import audit_record
from yunlou.core.errors import Forbidden, NotFound
from yunlou.crm.models import Customer
from yunlou.crm.selectors import consultation_list


@transaction.atomic
def customer_phone_reveal(*, staff: Staff, customer_id: int, request=None) -> str:
    """The full number, for the consultant who owns the customer only; every reveal is audited."""
    customer = (
        Customer.objects.select_related("project").filter(pk=customer_id, project__organization=staff.organization)
        .first()
    )
    if customer is None or not staff.covers(customer.project):
        raise NotFound(_("No such customer."), field="customer")
    if customer.owner_id != staff.user.pk:
        raise Forbidden(_("Only the customer's own consultant may see the full number."))
    audit_record(action="customer.phone_reveal", target=customer, actor=staff.user, project=customer.project,
                 request=request)
    return customer.phone


def consultations_mark_handled(*, staff: Staff, ids: list[int]) -> int:
    return consultation_list(staff=staff).filter(pk__in=ids, handled_at__isnull=True).update(handled_at=timezone.now())
