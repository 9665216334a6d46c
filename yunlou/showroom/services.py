import uuid

from django.db import IntegrityError, transaction

from yunlou.accounts.models import User
from yunlou.brokers.models import Referral
from yunlou.brokers.services.referrals import link_report
from yunlou.catalogue.models import Project
from yunlou.crm.models import Consultation
from yunlou.crm.services import consultation_submit
from yunlou.crm.services.consultations import ConsultationInput
from yunlou.showroom.models import ShareCode


def share_code_for(*, owner: User, project: Project) -> ShareCode:
    """The owner's personal code for the project, created on first use."""
    existing = ShareCode.objects.filter(owner=owner, project=project).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return ShareCode.objects.create(owner=owner, project=project)
    except IntegrityError:  # created by a parallel request a moment ago
        return ShareCode.objects.get(owner=owner, project=project)


def consultation_file(*, project: Project, data: ConsultationInput, visitor_id: uuid.UUID | None, ip: str | None,
                      offered_consultant: User | None, link: str = "") -> tuple[Consultation, Referral | None]:
    """购房咨询 (crm's `consultation_submit`); when the visitor came by a broker's share link (`link`, its code),
    also the broker's report of him (全民经纪) — made only once the SMS code has proven the number, and judged
    before the consultation makes him the project's customer, in the consultation's transaction."""
    reported: list[Referral] = []

    def report(phone: str) -> None:
        referral = link_report(project=project, share_code=link, customer_name=data.name, phone=phone)
        if referral is not None:
            reported.append(referral)

    consultation = consultation_submit(project=project, data=data, visitor_id=visitor_id, ip=ip,
                                       offered_consultant=offered_consultant, on_verified=report if link else None)
    return consultation, (reported[0] if reported else None)
