"""报备: a broker's claim on a customer, and its protection (DESIGN, referral rules).

How a report is judged, by the rules version in force when it is made:
1. The broker must be active in the project's organisation, the project must be taking reports, the number must
   be in the project's form (full, 前三后四 or 前四后三; see `brokers.phones`), the intended visit must leave the
   rules' lead time (against reporting at the door) and fall inside the visit window, and the broker must be
   under his daily cap (every attempt counts: the cap also limits fishing for who is a customer).
2. The report is refused (kept as `rejected`, with the reason, for the channel manager's fraud flags) when the
   number may be someone already known here: a lead or customer of the project, a report that owns him (visited
   or dealt), or another broker's report still in its visit window that is exclusive (made without 到访为王).
   The broker himself cannot hold two claims on one person; with `repeat_allowed` off he cannot report a person
   again after his earlier report lapsed.
3. The broker is told only "protected" — never whose, never whether the person visited.

Two brokers reporting one number at one instant: the check and the insert run under a transaction-scoped
PostgreSQL advisory lock on (project, the number's 3+3 key), a key every possibly-equal form shares, so one
waits for the other and then sees it. Behind the lock, a partial unique index allows one exclusive claim per
number form; a duplicate that still reaches it becomes a refusal, never a second claim.

Windows lapse by a Celery beat sweep (`referrals_expire`) and lazily: every check first expires the lapsed
claims it is about to look at, so the answer is right even when no worker runs.
"""

import datetime
import re
import uuid
import zoneinfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import User
from yunlou.brokers.models import (
    Broker,
    BrokerStatus,
    Referral,
    ReferralRules,
    ReferralStatus,
    RejectReason,
    VisitWindow,
    new_code,
)
from yunlou.brokers.phones import NumberMode, ReportedNumber, reported_number
from yunlou.brokers.report_reads import ReportCheck, report_check, report_context, report_insert
from yunlou.catalogue.models import Project
from yunlou.core.audit import audit_entry, audit_record
from yunlou.core.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited, ValidationFailed
from yunlou.core.phone import masked_key
from yunlou.core.sql import instance_new
from yunlou.core.text import strip_controls
from yunlou.crm.models import Customer
from yunlou.crm.services import project_consultant_ids

NAME_MAX = 30
MAX_LOCK_ID = 2**31 - 1
# Most a planned visit may lie ahead of the report, whatever the window says (a year).
FURTHEST_VISIT = datetime.timedelta(days=365)


def local_day_start(moment: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def visit_deadline_for(rules: ReferralRules, reported_at: datetime.datetime) -> datetime.datetime:
    if rules.visit_window == VisitWindow.HOURS:
        return reported_at + datetime.timedelta(hours=rules.visit_window_value)
    if rules.visit_window == VisitWindow.UNTIL:
        local = timezone.localtime(reported_at, zoneinfo.ZoneInfo(settings.TIME_ZONE))
        until = local.replace(hour=rules.visit_until.hour, minute=rules.visit_until.minute, second=0, microsecond=0)
        return until if until > local else until + datetime.timedelta(days=1)
    return reported_at + datetime.timedelta(days=rules.visit_window_value)


def lapsed_q(now: datetime.datetime) -> Q:
    """Claims whose time is up: no visit in the window, or no deal in the protection or the deal period."""
    return (Q(status=ReferralStatus.REPORTED, visit_deadline__lte=now)
            | Q(status=ReferralStatus.VISITED, protected_until__lte=now)
            | Q(status=ReferralStatus.VISITED, deal_deadline__lte=now))


def referrals_expire(*, now: datetime.datetime | None = None, among: QuerySet | None = None) -> int:
    """Expire lapsed claims (all of them, or `among`); a customer whose visited claim lapsed goes to the public
    pool (公海). Returns how many expired."""
    now = now or timezone.now()
    queryset = (among if among is not None else Referral.objects.all()).filter(lapsed_q(now))
    expired = 0
    with transaction.atomic():
        for referral in queryset.select_for_update().order_by("pk"):
            if not Referral.objects.filter(pk=referral.pk).filter(lapsed_q(now)).update(
                    status=ReferralStatus.EXPIRED, ended_at=now):
                continue
            expired += 1
            if referral.status == ReferralStatus.VISITED and referral.customer_id:
                Customer.objects.filter(pk=referral.customer_id, pooled_at__isnull=True).update(
                    pooled_at=now, owner=None)
            audit_record(action="referral.expire", target=referral, project=referral.project,
                         changes={"status": [referral.status, ReferralStatus.EXPIRED]})
    return expired


def _key_int(key_33: str) -> int:
    return int(key_33[:8], 16) - 2**31  # a signed 32-bit advisory lock key from the 3+3 key


def _number_key(number: ReportedNumber) -> int:
    return _key_int(number.key_33)


def _clean_name(raw: str) -> str:
    name = " ".join(strip_controls(raw or "").split())
    if not name:
        raise ValidationFailed(_("Enter the customer's name."), field="customer_name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("The name is at most %(count)d characters.") % {"count": NAME_MAX},
                               field="customer_name")
    return name


def broker_for(*, user, organization_id: int, active: bool = True) -> Broker:
    broker = Broker.objects.filter(user=user, organization_id=organization_id).first() if user.is_authenticated \
        else None
    if broker is None:
        raise Forbidden(_("Sign up as a broker first."), code="not_a_broker")
    if active and broker.status != BrokerStatus.ACTIVE:
        raise Forbidden(_("Your broker account is not active (awaiting approval or frozen)."),
                        code="broker_inactive")
    return broker


def _judge(*, broker_id: int, project_id: int, rules: ReferralRules, number: ReportedNumber,
           check: ReportCheck) -> str:
    """The reason to refuse the report, or "" to accept it (decided under the number's lock)."""
    if check.own_claim:
        return RejectReason.OWN_REPEAT
    if check.customer is not None:
        return RejectReason.ALREADY_VISITED if check.customer else RejectReason.PROTECTED
    if check.blocking_claim:
        return RejectReason.PROTECTED
    if check.own_before and not rules.repeat_allowed:
        return RejectReason.OWN_REPEAT
    return ""


def number_lock(project_id: int, number: ReportedNumber) -> None:
    """Serialise every report and visit that may be this person in this project. A report takes the reporting
    person's lock (his reports of a day are counted one at a time) and then the number's, in one statement; a
    visit takes only the number's: no two transactions can wait on each other in a circle."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [project_id, _number_key(number)])


def referral_create(*, user, project_id: int, customer_name: str, phone: str,
                    intended_visit_at: datetime.datetime | None = None, device_id: uuid.UUID | None = None,
                    ip: str | None = None, now: datetime.datetime | None = None, via_link: bool = False
                    ) -> Referral | None:
    """报备. Returns the report: `reported` with its visit code, or `rejected` with its reason.

    `via_link`: the customer himself left the number, in full, through the broker's share link (`link_report`);
    such a report is kept only when valid (None otherwise: the broker typed nothing, so there is no attempt to
    record, and nothing of the refusal is his to learn).

    Two reads (`report_reads`), the insert and its audit row: the rest of the rules is Python on what they read.
    """
    now = now or timezone.now()
    if not user.is_authenticated:
        raise Forbidden(_("Sign up as a broker first."), code="not_a_broker")
    if not 0 < project_id <= MAX_LOCK_ID:  # no such project (ids, like advisory lock keys, are 32-bit here)
        raise NotFound(_("No such project."), field="project")
    with transaction.atomic():
        # The reporting person's lock (class -2: no project's id), then the number's, with the first read.
        number_key = _lock_key_of(phone)
        locks = ((-2, user.pk % MAX_LOCK_ID),) + (((project_id, number_key),) if number_key is not None else ())
        context = report_context(user_id=user.pk, project_id=project_id, now=now, locks=locks)
        return _report(user=user, context=context, customer_name=customer_name, phone=phone,
                       intended_visit_at=intended_visit_at, device_id=device_id, ip=ip, now=now,
                       locked_key=number_key, via_link=via_link)


def _lock_key_of(raw: str) -> int | None:
    """The number's lock key read leniently from what was typed, before the rules say its form: the 3+3 key is
    the same in every form (first three digits, last three)."""
    text = re.sub(r"[\s\-()]", "", str(raw or ""))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) > 11:
            text = text[len(prefix):]
    head, tail = re.match(r"^([0-9]*)", text).group(1), re.search(r"([0-9]*)$", text).group(1)
    if len(head) < 3 or len(tail) < 3 or not text.isascii():
        return None
    return _key_int(masked_key("33", head[:3] + tail[-3:]))


def _report(*, user, context, customer_name: str, phone: str, intended_visit_at, device_id, ip, now,
            locked_key: int | None, via_link: bool) -> Referral | None:
    if context.project is None:
        raise NotFound(_("No such project."), field="project")
    project, broker, rules = context.project, context.broker, context.rules
    if broker is None:
        raise Forbidden(_("Sign up as a broker first."), code="not_a_broker")
    if broker.status != BrokerStatus.ACTIVE:
        raise Forbidden(_("Your broker account is not active (awaiting approval or frozen)."),
                        code="broker_inactive")
    if rules is None or not rules.is_open:
        raise Conflict(_("This project is not taking reports."), field="project", code="reports_closed")
    name = _clean_name(customer_name)
    number = reported_number(phone, mode=NumberMode.FULL if via_link else rules.number_mode)
    deadline = visit_deadline_for(rules, now)
    if intended_visit_at is not None:
        earliest = now + datetime.timedelta(minutes=rules.lead_minutes)
        if intended_visit_at < now:
            raise ValidationFailed(_("The intended visit time has passed."), field="intended_visit_at",
                                   code="visit_past")
        if intended_visit_at < earliest:
            raise ValidationFailed(_("The visit must be at least %(minutes)d minutes after the report.")
                                   % {"minutes": rules.lead_minutes}, field="intended_visit_at", code="lead_time")
        if intended_visit_at > deadline or intended_visit_at > now + FURTHEST_VISIT:
            raise ValidationFailed(_("The visit must come by %(deadline)s.")
                                   % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
                                   field="intended_visit_at", code="visit_window")
    if _number_key(number) != locked_key:  # typed oddly enough to read differently: lock what it is
        number_lock(project.pk, number)
    check = report_check(project_id=project.pk, broker_id=broker.pk, number=number, now=now,
                         day_start=local_day_start(now), count_today=bool(rules.daily_cap))
    if rules.daily_cap and not via_link and check.today >= rules.daily_cap:  # the cap is against fishing
        raise RateLimited(_("You have made today's %(count)d reports for this project; please report "
                            "again tomorrow.") % {"count": rules.daily_cap}, code="daily_cap")
    if check.lapsed_claims:  # their time is up: mark them, so that the unique index sees them gone
        referrals_expire(now=now, among=Referral.objects.filter(project=project, key_33=number.key_33))
    reason = _judge(broker_id=broker.pk, project_id=project.pk, rules=rules, number=number, check=check)
    if reason and via_link:
        return None
    referral = instance_new(
        Referral, organization_id=project.organization_id, project=project, broker=broker, rules=rules,
        customer_name=name, number_mode=number.mode,
        phone_shown=link_mask(number.full) if via_link else "" if number.full else number.shown, via_link=via_link,
        phone=number.full, identity_key=number.identity_key, key_full=number.key_full, key_34=number.key_34,
        key_43=number.key_43, key_33=number.key_33, is_exclusive=not rules.visit_is_king,
        intended_visit_at=intended_visit_at, reported_at=now, device_id=device_id, ip=ip,
    )
    if reason:
        referral.status, referral.reject_reason, referral.ended_at = ReferralStatus.REJECTED, reason, now
    else:
        referral.visit_deadline = deadline
        referral.visit_code = new_code(10)
    if connection.vendor == "postgresql":
        # The locks stand before the unique index, so no race reaches it; report and audit in one statement.
        report_insert(referral, audit_entry(action="referral.create", target=referral, actor=user,
                                            project=project, changes={"status": referral.status,
                                                                      "reason": referral.reject_reason}))
    else:
        _save_or_refuse(referral, now)
        audit_record(action="referral.create", target=referral, actor=user, project=project,
                     changes={"status": referral.status, "reason": referral.reject_reason})
    return referral


def _save_or_refuse(referral: Referral, now: datetime.datetime) -> None:
    """Without the advisory lock (SQLite), the unique index is what refuses a second claim."""
    if referral.status == ReferralStatus.REJECTED:
        referral.save(force_insert=True)
        return
    try:
        with transaction.atomic():
            referral.save(force_insert=True)
    except IntegrityError:
        referral.pk = None
        referral.status, referral.reject_reason, referral.ended_at = (
            ReferralStatus.REJECTED, RejectReason.PROTECTED, now)
        referral.visit_deadline = referral.visit_code = None
        referral.save(force_insert=True)


def referral_phone_display(referral: Referral) -> str:
    """What the reporting broker sees of the number: all of it if he gave all of it, else his mask (and the
    mask of a number the customer left through his link)."""
    return referral.phone_shown if referral.via_link else referral.phone or referral.phone_shown


def link_mask(full: str) -> str:
    """What a broker sees of a number a customer left through his link: its last four digits. Not 前三后四: with
    the first three too, trying the 10,000 middles in reports of his own would find the number (the one refused
    as protected)."""
    return "*" * 7 + full[-4:]


def link_report(*, project: Project, share_code: str, customer_name: str, phone: str,
                now: datetime.datetime | None = None) -> Referral | None:
    """A visitor who came by a broker's share link leaves his own number (proved by its SMS code, in the
    caller's transaction): the broker's report of him, judged like any report and kept only when valid — a
    known customer or another's claim leaves nothing — made in full, shown to the broker by its last digits.
    None also when the link is not an active broker's of this project's organisation (a current consultant's
    link binds instead), or he cannot report now (frozen, the project closed to reports)."""
    owner = User.objects.filter(share_codes__code=share_code[:12], share_codes__project=project,
                                is_active=True).first() if share_code else None
    if owner is None or owner.pk in project_consultant_ids(project=project):
        return None
    try:
        return referral_create(user=owner, project_id=project.pk, customer_name=customer_name, phone=phone,
                               now=now, via_link=True)
    except DomainError:
        return None


def broker_reject_message(referral: Referral) -> str:
    """The refusal as the broker reads it: his own repeat is his to know; anything else is "protected", with
    no word of whose or why (the person's visits and relationships are not the broker's business)."""
    if referral.reject_reason == RejectReason.OWN_REPEAT:
        return str(RejectReason.OWN_REPEAT.label)
    if referral.reject_reason == RejectReason.AT_THE_DOOR:
        return str(RejectReason.AT_THE_DOOR.label)
    return str(RejectReason.PROTECTED.label)
