import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import User
from yunlou.accounts.phone_codes import phone_code_verify
from yunlou.catalogue.models import Project, Unit
from yunlou.catalogue.selectors import PUBLIC_UNITS
from yunlou.core import ratelimit
from yunlou.core.audit import audit_record
from yunlou.core.crypto import blind_index
from yunlou.core.errors import ValidationFailed
from yunlou.core.notifications import notification_send
from yunlou.core.phone import mask_phone, normalize_phone
from yunlou.crm.binding_cache import visitors_forget
from yunlou.crm.models import (
    Binding,
    BindingEnd,
    Consultation,
    Customer,
    CustomerSource,
    CustomerStage,
    CustomerVisitor,
)
from yunlou.crm.services.bindings import binding_create, binding_renew, bindings_close_expired
from yunlou.crm.services.rotation import consultant_rotation_next, project_consultants

NAME_MAX = 30
QUESTION_MAX = 500
VISIT_HORIZON_DAYS = 90
CONSULTATIONS_PER_IP_PER_HOUR = 20


@dataclass(frozen=True)
class ConsultationInput:
    name: str
    phone: str
    code: str
    question: str = ""
    preferred_visit_at: datetime | None = None
    unit_id: int | None = None


def _checked(project: Project, data: ConsultationInput, now) -> tuple[str, Unit | None]:
    """Check every field and report all problems at once; returns the normalised phone and the unit."""
    problems: list[dict[str, str]] = []
    phone = ""
    if not data.name.strip():
        problems.append({"field": "name", "message": _("Please tell us how to address you.")})
    elif len(data.name.strip()) > NAME_MAX:
        problems.append({"field": "name", "message": _("The name may have at most 30 characters.")})
    try:
        phone = normalize_phone(data.phone)
    except ValidationFailed as exc:
        problems.append({"field": "phone", "message": exc.message})
    if len(data.question) > QUESTION_MAX:
        problems.append({"field": "question", "message": _("The question may have at most 500 characters.")})
    if data.preferred_visit_at is not None and not (
        now < data.preferred_visit_at <= now + timedelta(days=VISIT_HORIZON_DAYS)
    ):
        problems.append({"field": "preferred_visit_at",
                         "message": _("Choose a visit time within the next 90 days.")})
    unit = None
    if data.unit_id is not None:
        unit = Unit.objects.filter(PUBLIC_UNITS, pk=data.unit_id, building__project=project).first()
        if unit is None:
            problems.append({"field": "unit_id", "message": _("No such unit in this project.")})
    if problems:
        raise ValidationFailed(problems[0]["message"], field=problems[0]["field"], details=problems)
    return phone, unit


def _binding_for_customer(*, project: Project, customer: Customer, visitor_id, now) -> Binding | None:
    """The customer's binding, carrying over the visitor's anonymous one when the customer has none."""
    bindings_close_expired(project=project, customer=customer, visitor_id=visitor_id, now=now)
    held = Binding.objects.filter(project=project, customer=customer, ended_at__isnull=True,
                                  expires_at__gt=now).select_related("consultant").first()
    anonymous = None
    if visitor_id is not None:
        anonymous = (
            Binding.objects.filter(project=project, customer__isnull=True, visitor_id=visitor_id,
                                   ended_at__isnull=True, expires_at__gt=now)
            .select_related("consultant")
            .first()
        )
    if held is not None:
        if anonymous is not None:
            # The person was already someone's customer: the earlier binding stands (first link wins).
            Binding.objects.filter(pk=anonymous.pk).update(ended_at=now, end_reason=BindingEnd.SUPERSEDED)
        return held
    if anonymous is not None:
        Binding.objects.filter(pk=anonymous.pk).update(customer=customer)
        anonymous.customer = customer
        return anonymous
    return None


@transaction.atomic
def consultation_submit(*, project: Project, data: ConsultationInput, visitor_id: uuid.UUID | None,
                        ip: str | None, offered_consultant: User | None = None,
                        on_verified: Callable[[str], None] | None = None) -> Consultation:
    """购房咨询: verify the phone by its SMS code, file the question with the bound consultant and tell them.

    Creates or updates the project's customer for that phone; a visitor brought by a consultant's link
    stays that consultant's (the binding carries over); a known customer stays with their consultant;
    otherwise the consultant whose card the visitor was shown (`offered_consultant`, the rotation's choice
    for this visitor) takes them, so the person on the card is the one who calls back. The contact renews
    the binding's 30 days.

    `on_verified(phone)` runs once the phone is proven, in this transaction, before the customer is found or
    made (a broker's share link reports the visitor there, judged before he becomes the project's customer).
    """
    now = timezone.now()
    phone, unit = _checked(project, data, now)
    if ip:
        ratelimit.hit(f"consultation:ip:{ip}", limit=CONSULTATIONS_PER_IP_PER_HOUR, window_seconds=3_600,
                      message=_("Too many questions from your network; please try again later."))
    phone_code_verify(phone=phone, purpose="consultation", code=data.code)
    if on_verified is not None:
        on_verified(phone)

    customer, is_new = _customer_for_phone(project=project, phone=phone, name=data.name.strip())
    if visitor_id is not None:
        CustomerVisitor.objects.get_or_create(customer=customer, visitor_id=visitor_id)

    binding = _binding_for_customer(project=project, customer=customer, visitor_id=visitor_id, now=now)
    # The browser now counts as the customer's: its cached answer of who holds it may have changed.
    visitors_forget(project_id=project.pk, visitor_ids=[visitor_id])
    if binding is None:
        consultant = customer.owner or _current_consultant(project, offered_consultant) or consultant_rotation_next(
            project=project)
        if consultant is not None:
            binding = binding_create(project=project, consultant=consultant, customer=customer, now=now)
    else:
        binding_renew(binding=binding, now=now)
    if binding is not None and binding.share_code_id and is_new:
        customer.source = CustomerSource.SHARE_LINK
    consultant = binding.consultant if binding is not None else None
    # The consultant who holds the binding owns the customer: after an expiry the next link wins both.
    previous_owner = customer.owner
    if consultant is not None:
        customer.owner = consultant
    if customer.stage == CustomerStage.VISITOR:
        customer.stage = CustomerStage.LEAD
    customer.last_contact_at = now
    customer.save(update_fields=["owner", "stage", "source", "last_contact_at"])

    consultation = Consultation.objects.create(
        project=project, unit=unit, customer=customer, consultant=consultant, question=data.question.strip(),
        preferred_visit_at=data.preferred_visit_at, created_at=now,
    )
    if consultant is not None:
        notification_send(
            recipient=consultant, organization=project.organization, kind="consultation",
            title=_("%(name)s asked about %(what)s") % {
                "name": customer.name, "what": unit.code if unit else project.name},
            body=_consultation_summary(consultation, phone),
            url=reverse("showroom:workbench_consultations"),
        )
    changes = {"new_customer": is_new, "consultant": str(consultant) if consultant else None}
    if previous_owner is not None and previous_owner != customer.owner:
        changes["owner"] = [str(previous_owner), str(customer.owner)]
    audit_record(action="customer.consultation", target=customer, project=project, changes=changes)
    return consultation


def _current_consultant(project: Project, consultant: User | None) -> User | None:
    if consultant is None:
        return None
    return project_consultants(project=project).filter(pk=consultant.pk).first()


def _customer_for_phone(*, project: Project, phone: str, name: str) -> tuple[Customer, bool]:
    """The project's customer with this phone, locked; created if new. Two first consultations from one
    phone at the same moment meet at the unique constraint, and the second uses the first's record."""
    existing = Customer.objects.select_for_update().filter(project=project, phone_hash=blind_index(phone))
    customer = existing.first()
    if customer is not None:
        return customer, False
    try:
        with transaction.atomic():
            return Customer.objects.create(project=project, name=name, phone=phone, stage=CustomerStage.LEAD,
                                           source=CustomerSource.CONSULTATION), True
    except IntegrityError:
        return existing.get(), False


def _consultation_summary(consultation: Consultation, phone: str) -> str:
    parts = [mask_phone(phone)]
    if consultation.preferred_visit_at:
        local = timezone.localtime(consultation.preferred_visit_at)
        parts.append(_("visit %(when)s") % {"when": f"{local:%m-%d %H:%M}"})
    if consultation.question:
        parts.append(consultation.question[:80])
    return " · ".join(parts)
