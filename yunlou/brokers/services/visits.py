"""带看确认 and 来访登记 at the front desk, the customer's own check-in, and the public pool (公海).

A report becomes `visited` only when the visit is registered: the receptionist scans the visit code the broker
sent the customer (or finds the report by the customer's name and number — a masked report matches the full
number the customer gives at the desk), or the customer checks in himself from the sales office's QR with an
SMS code. No face recognition: biometric data needs separate consent and an alternative under PIPL.

The visit opens the report's protection (`protection_days`) and, under 到访为王, settles the race: the first
report confirmed owns the customer and the other non-exclusive reports of him are refused. A partial unique
index allows one owning report per customer and project.
"""

import datetime

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import User
from yunlou.accounts.permissions import CONFIRM_VISITS, USE_WORKBENCH
from yunlou.accounts.staff import Staff
from yunlou.brokers.models import CLAIMING_STATUSES, Referral, ReferralStatus, RejectReason
from yunlou.brokers.phones import full_number, matches, referral_number, same_person_q
from yunlou.brokers.services.commissions import commissions_for_visit
from yunlou.brokers.services.referrals import lapsed_q, number_lock, referrals_expire
from yunlou.catalogue.models import Project
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from yunlou.core.phone import normalize_phone
from yunlou.core.text import strip_controls
from yunlou.crm.models import Customer, CustomerSource, CustomerStage, Visit, VisitSource
from yunlou.crm.services.rotation import consultant_rotation_next_id

POOL_CLAIMS_PER_DAY = 10


def _desk(staff: Staff, project: Project) -> None:
    if not staff.can(CONFIRM_VISITS) or not staff.covers(project):
        raise NotFound(_("No such project."), field="project")


def _customer_for_visit(*, project: Project, name: str, phone: str, now, source: str) -> tuple[Customer, bool]:
    """The project's customer with this number, made on his first visit; and whether this is his first visit."""
    phone_hash = full_number(phone).key_full
    customer = Customer.objects.select_for_update().filter(project=project, phone_hash=phone_hash).first()
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer(project=project, name=name, phone=phone, stage=CustomerStage.VISITED,
                                    source=source, last_contact_at=now,
                                    owner_id=consultant_rotation_next_id(project=project))
                customer.save()
        except IntegrityError:
            customer = Customer.objects.select_for_update().get(project=project, phone_hash=phone_hash)
    first = customer.first_visited_at is None
    updates = {"last_contact_at": now}
    if first:
        updates["first_visited_at"] = now
    if customer.stage in (CustomerStage.VISITOR, CustomerStage.LEAD):
        updates["stage"] = CustomerStage.VISITED
    Customer.objects.filter(pk=customer.pk).update(**updates)
    for key, value in updates.items():
        setattr(customer, key, value)
    return customer, first


def _clean_name(raw: str) -> str:
    return " ".join(strip_controls(raw or "").split())[:30]


def referral_find(*, staff: Staff, project_id: int, phone: str = "", visit_code: str = "") -> list[Referral]:
    """The reports awaiting a visit that a customer at the desk may be: by visit code, or by his full number
    against full and masked reports (the masked match the receptionist sees)."""
    project = Project.objects.filter(pk=project_id, organization=staff.organization).first()
    if project is None:
        raise NotFound(_("No such project."), field="project")
    _desk(staff, project)
    pending = Referral.objects.filter(project=project, status=ReferralStatus.REPORTED).select_related("broker")
    referrals_expire(among=pending)
    if visit_code:
        return list(pending.filter(visit_code=visit_code.strip().upper()))
    number = full_number(normalize_phone(phone))
    return list(pending.filter(same_person_q(number)).order_by("reported_at"))


def referral_visit_confirm(*, staff: Staff, referral_id: int, phone: str = "", customer_name: str = "",
                           now: datetime.datetime | None = None, request=None) -> Referral:
    """带看确认: the customer of this report is here. `phone` is his full number (needed for a masked report)."""
    now = now or timezone.now()
    referral = Referral.objects.select_related("project", "rules", "broker").filter(
        pk=referral_id, organization=staff.organization).first()
    if referral is None:
        raise NotFound(_("No such report."), field="referral")
    _desk(staff, referral.project)
    phone = normalize_phone(phone) if phone else referral.phone
    if not phone:
        raise ValidationFailed(_("Enter the customer's full number to match the masked report."), field="phone")
    rules = referral.rules
    at_the_door = now < referral.reported_at + datetime.timedelta(minutes=rules.lead_minutes)
    with transaction.atomic():
        number = full_number(phone)
        number_lock(referral.project_id, number)
        referral = Referral.objects.select_for_update().select_related("project", "rules", "broker").get(pk=referral.pk)
        if referral.status == ReferralStatus.REPORTED and Referral.objects.filter(pk=referral.pk).filter(
                lapsed_q(now)).exists():
            referrals_expire(now=now, among=Referral.objects.filter(pk=referral.pk))
            raise_later = Conflict(_("The visit window of this report closed at %(deadline)s.") % {
                "deadline": timezone.localtime(referral.visit_deadline).strftime("%Y-%m-%d %H:%M")},
                code="window_closed")
        elif referral.status != ReferralStatus.REPORTED:
            raise Conflict(_("This report is %(status)s; only a reported one can be confirmed.")
                           % {"status": referral.get_status_display()}, code="not_reported")
        elif not matches(referral_number(referral), phone):
            raise ValidationFailed(_("This number does not match the reported one."), field="phone",
                                   code="phone_mismatch")
        elif at_the_door:
            Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.REJECTED,
                                                           reject_reason=RejectReason.AT_THE_DOOR, ended_at=now)
            audit_record(action="referral.reject", target=referral, actor=staff.user, project=referral.project,
                         changes={"reason": RejectReason.AT_THE_DOOR}, request=request)
            raise_later = Conflict(_("The report was made %(minutes)d minutes before the visit; the rules ask for "
                                     "%(lead)d. It does not count; register the customer as a walk-in.") % {
                "minutes": int((now - referral.reported_at).total_seconds() // 60), "lead": rules.lead_minutes},
                code="at_the_door")
        else:
            raise_later = None
            _visit_record(referral=referral, staff_user=staff.user, phone=phone,
                          name=_clean_name(customer_name) or referral.customer_name, now=now,
                          source=VisitSource.REFERRAL, request=request)
    if raise_later is not None:
        raise raise_later  # after the commit: the expiry or the refusal stays recorded
    referral.refresh_from_db()
    return referral


def _visit_record(*, referral: Referral, staff_user: User | None, phone: str, name: str, now, source: str,
                  request=None) -> None:
    project, rules = referral.project, referral.rules
    customer, first = _customer_for_visit(project=project, name=name, phone=phone, now=now,
                                          source=CustomerSource.REFERRAL)
    if Referral.objects.filter(project=project, customer=customer,
                               status__in=(ReferralStatus.VISITED, ReferralStatus.SUBSCRIBED,
                                           ReferralStatus.SIGNED, ReferralStatus.SETTLED)).exists():
        raise Conflict(_("This customer is already another report's."), code="protected")
    Visit.objects.create(project=project, customer=customer, source=source, is_first=first, visited_at=now,
                         registered_by=staff_user)
    protected_until = now + datetime.timedelta(days=rules.protection_days)
    deal_deadline = referral.reported_at + datetime.timedelta(days=rules.deal_days) if rules.deal_days else None
    Referral.objects.filter(pk=referral.pk, status=ReferralStatus.REPORTED).update(
        status=ReferralStatus.VISITED, visited_at=now, visit_confirmed_by=staff_user, customer=customer,
        protected_until=protected_until, deal_deadline=deal_deadline, phone=referral.phone or "")
    # 到访为王: the others' open reports of this person lose the race.
    rivals = list(Referral.objects.filter(project=project, status=ReferralStatus.REPORTED)
                  .filter(same_person_q(full_number(phone))).exclude(pk=referral.pk).values_list("pk", flat=True))
    if rivals:
        Referral.objects.filter(pk__in=rivals, status=ReferralStatus.REPORTED).update(
            status=ReferralStatus.REJECTED, reject_reason=RejectReason.PROTECTED, ended_at=now)
        audit_record(action="referral.rivals_refused", target=referral, actor=staff_user, project=project,
                     changes={"refused": rivals}, request=request)
    Customer.objects.filter(pk=customer.pk).update(pooled_at=None)
    referral.status, referral.visited_at, referral.customer = ReferralStatus.VISITED, now, customer
    commissions_for_visit(referral=referral, now=now)
    audit_record(action="referral.visit", target=referral, actor=staff_user, project=project,
                 changes={"status": [ReferralStatus.REPORTED, ReferralStatus.VISITED], "source": source},
                 request=request)


def visit_register(*, staff: Staff, project_id: int, customer_name: str, phone: str,
                   now: datetime.datetime | None = None, request=None) -> Visit:
    """来访登记 of a walk-in nobody reported (or whose report the desk could not match)."""
    now = now or timezone.now()
    project = Project.objects.filter(pk=project_id, organization=staff.organization).first()
    if project is None:
        raise NotFound(_("No such project."), field="project")
    _desk(staff, project)
    phone = normalize_phone(phone)
    name = _clean_name(customer_name)
    if not name:
        raise ValidationFailed(_("Enter the customer's name."), field="customer_name")
    with transaction.atomic():
        number_lock(project.pk, full_number(phone))
        customer, first = _customer_for_visit(project=project, name=name, phone=phone, now=now,
                                              source=CustomerSource.WALK_IN)
        visit = Visit.objects.create(project=project, customer=customer, source=VisitSource.WALK_IN,
                                     is_first=first, visited_at=now, registered_by=staff.user)
        audit_record(action="visit.register", target=visit, actor=staff.user, project=project, request=request)
    return visit


CHECK_IN_TOKEN_SECONDS = 15 * 60  # the office QR on the desk's screen is renewed well within this
CHECK_IN_REFRESH_SECONDS = 5 * 60  # how often the desk's screen draws a new one (two missed renewals still work)
_CHECK_IN_SALT = "brokers.check_in"


def check_in_token(*, project_id: int) -> str:
    """What the sales office's check-in QR carries: a signed, timed token of the project, shown on the desk's
    screen and renewed there, so that the QR proves the customer is standing in the office (a photo of it sent
    home stops working within minutes)."""
    return signing.TimestampSigner(salt=_CHECK_IN_SALT).sign(str(project_id))


def check_in_token_valid(*, project_id: int, token: str) -> bool:
    try:
        value = signing.TimestampSigner(salt=_CHECK_IN_SALT).unsign(token or "", max_age=CHECK_IN_TOKEN_SECONDS)
    except signing.BadSignature:
        return False
    return value == str(project_id)


def referral_check_in(*, project_id: int, phone: str, token: str,
                      now: datetime.datetime | None = None) -> Referral | None:
    """The customer checks in himself from the sales office's QR (its token fresh: he is in the office), after
    proving his number with an SMS code (the caller verifies the code): his waiting report, if there is exactly
    one and its lead time has passed, becomes visited."""
    now = now or timezone.now()
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."), field="project")
    if not check_in_token_valid(project_id=project.pk, token=token):
        raise ValidationFailed(_("This check-in code has expired: scan the QR code at the sales office again."),
                               field="token", code="check_in_expired")
    phone = normalize_phone(phone)
    number = full_number(phone)
    with transaction.atomic():
        number_lock(project.pk, number)
        pending = Referral.objects.filter(project=project, status__in=CLAIMING_STATUSES)
        referrals_expire(now=now, among=pending.filter(key_33=number.key_33))
        waiting = list(pending.filter(status=ReferralStatus.REPORTED).filter(same_person_q(number))
                       .select_related("project", "rules").order_by("reported_at")[:2])
        if len(waiting) != 1:
            return None  # none, or several under 到访为王: the desk decides who brought him
        referral = waiting[0]
        if now < referral.reported_at + datetime.timedelta(minutes=referral.rules.lead_minutes):
            return None
        _visit_record(referral=referral, staff_user=None, phone=phone, name=referral.customer_name, now=now,
                      source=VisitSource.CHECK_IN)
    referral.refresh_from_db()
    return referral


def pool_claim(*, staff: Staff, customer_id: int, now: datetime.datetime | None = None) -> Customer:
    """A consultant claims a customer from the public pool (公海), up to POOL_CLAIMS_PER_DAY a day."""
    from yunlou.brokers.services.referrals import local_day_start
    from yunlou.core.models import AuditLog

    now = now or timezone.now()
    if not staff.can(USE_WORKBENCH):
        raise Forbidden(_("Only consultants claim customers from the pool."))
    with transaction.atomic():
        if connection.vendor == "postgresql":  # a consultant's claims are counted one at a time (class -3)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(-3, %s)", [staff.user.pk % (2**31 - 1)])
        customer = Customer.objects.select_for_update().select_related("project").filter(
            pk=customer_id, project__organization=staff.organization, pooled_at__isnull=False).first()
        if customer is None or not staff.covers(customer.project):
            raise NotFound(_("This customer is not in the pool (any more)."), field="customer")
        claimed_today = AuditLog.objects.filter(actor=staff.user, action="customer.pool_claim",
                                                created_at__gte=local_day_start(now)).count()
        if claimed_today >= POOL_CLAIMS_PER_DAY:
            raise RateLimited(_("You have claimed %(count)d customers from the pool today.")
                              % {"count": POOL_CLAIMS_PER_DAY}, code="pool_cap")
        Customer.objects.filter(pk=customer.pk).update(owner=staff.user, pooled_at=None, last_contact_at=now)
        audit_record(action="customer.pool_claim", target=customer, actor=staff.user, project=customer.project)
    customer.refresh_from_db()
    return customer
