"""What a broker reads about himself: his roles, the projects open to his reports, his own reports, his team
(the brokers he invited), his commission ledger and the organisation's leaderboard; and an agency's manager, his
agency's agents and their reports.

Every read is scoped to the broker's organisation and to what is his: another broker's report answers exactly like
a missing one, and the leaderboard shows masked names and counts only — never a phone. An agency's manager sees
his own agency's agents (never another agency's, never independent brokers) and their customers' numbers masked
only: the number is the customer's, given to the agent who reported him, not to the agent's employer.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.brokers.models import (
    Broker,
    CommissionEntry,
    EntryKind,
    EntryStatus,
    Referral,
    ReferralRules,
    ReferralStatus,
)
from yunlou.brokers.phones import NumberMode
from yunlou.brokers.services.referrals import lapsed_q, local_day_start, referral_phone_display, referrals_expire
from yunlou.brokers.services.rules import rules_in_force
from yunlou.catalogue.models import Project
from yunlou.core.errors import Forbidden, NotFound
from yunlou.core.phone import mask_phone

NUMBER_EXAMPLES = {NumberMode.FULL: "13812345678", NumberMode.MASKED_34: "138****5678",
                   NumberMode.MASKED_43: "1381****678"}
DEAL_STATUSES = (ReferralStatus.SUBSCRIBED, ReferralStatus.SIGNED, ReferralStatus.SETTLED)
LEADERBOARD_SIZE = 10


def broker_roles(*, user) -> list[Broker]:
    """The user's broker accounts, one per developer organisation he signed up with."""
    if not user.is_authenticated:
        return []
    return list(Broker.objects.filter(user=user).select_related("organization").order_by("joined_at", "pk"))


def broker_current(*, user, organization_id: int | None = None) -> Broker:
    """The broker account the caller acts as: the one of `organization_id`, or his first."""
    roles = broker_roles(user=user)
    if organization_id is not None:
        roles = [broker for broker in roles if broker.organization_id == organization_id]
    if not roles:
        raise Forbidden(_("Sign up as a broker first."), code="not_a_broker")
    return roles[0]


def number_example(mode: str) -> str:
    return NUMBER_EXAMPLES.get(mode, NUMBER_EXAMPLES[NumberMode.MASKED_34])


@dataclass(frozen=True)
class ReportableProject:
    project: Project
    rules: ReferralRules

    @property
    def number_example(self) -> str:
        return number_example(self.rules.number_mode)


def broker_project_list(*, broker: Broker, now: datetime.datetime | None = None) -> list[ReportableProject]:
    """The organisation's projects whose rules in force take reports."""
    now = now or timezone.now()
    projects = (Project.objects.filter(organization_id=broker.organization_id, referral_rules__created_at__lte=now)
                .distinct().order_by("pk"))
    found = []
    for project in projects:
        rules = rules_in_force(project_id=project.pk, at=now)
        if rules is not None and rules.is_open:
            found.append(ReportableProject(project=project, rules=rules))
    return found


def broker_referral_list(*, broker: Broker, now: datetime.datetime | None = None) -> QuerySet[Referral]:
    """The broker's own reports, newest first; lapsed windows are expired first, so the status is right even when
    no worker ran the sweep."""
    now = now or timezone.now()
    mine = Referral.objects.filter(broker=broker)
    if mine.filter(lapsed_q(now)).exists():
        referrals_expire(now=now, among=mine)
    return mine.select_related("project").order_by("-reported_at", "-pk")


def broker_referral_get(*, broker: Broker, referral_id: int) -> Referral:
    referral = broker_referral_list(broker=broker).filter(pk=referral_id).first()
    if referral is None:
        raise NotFound(_("No such report."), field="referral_id")
    return referral


def broker_team(*, broker: Broker) -> QuerySet[Broker]:
    """The brokers whose upline is this broker, in his organisation, with how many reports each made and how
    many of them visited."""
    return (Broker.objects.filter(organization_id=broker.organization_id, upline_id=broker.user_id)
            .annotate(report_count=Count("referrals"),
                      visit_count=Count("referrals", filter=Q(referrals__visited_at__isnull=False)))
            .order_by("-joined_at", "-pk"))


@dataclass(frozen=True)
class CommissionTotals:
    pending: int
    payable: int
    paid: int
    owed: int  # what the broker owes back, as a positive amount


def broker_commission_list(*, broker: Broker) -> list[CommissionEntry]:
    """The broker's entries, newest first, each with `subject`: the customer's name for his own reports; for a
    second level earned through his team, only the team member's masked name (his downline's customers are
    theirs, not his)."""
    entries = list(CommissionEntry.objects.filter(organization_id=broker.organization_id,
                                                  beneficiary_id=broker.user_id)
                   .select_related("referral__project", "referral__broker").order_by("-created_at", "-pk")[:200])
    for entry in entries:
        reporter = entry.referral.broker
        entry.subject = (entry.referral.customer_name if reporter.user_id == broker.user_id else
                         _("Through %(name)s") % {"name": masked_name(reporter.real_name)})
    return entries


def broker_commission_totals(*, broker: Broker) -> CommissionTotals:
    sums = CommissionEntry.objects.filter(organization_id=broker.organization_id,
                                          beneficiary_id=broker.user_id).aggregate(
        pending=Sum("amount", filter=Q(kind=EntryKind.COMMISSION, status=EntryStatus.PENDING)),
        payable=Sum("amount", filter=Q(kind=EntryKind.COMMISSION, status=EntryStatus.PAYABLE)),
        paid=Sum("amount", filter=Q(kind=EntryKind.COMMISSION, status=EntryStatus.PAID)),
        owed=Sum("amount", filter=Q(kind=EntryKind.CLAWBACK, status=EntryStatus.OWED)),
    )
    return CommissionTotals(pending=sums["pending"] or 0, payable=sums["payable"] or 0, paid=sums["paid"] or 0,
                            owed=-(sums["owed"] or 0))


def masked_name(name: str) -> str:
    """赵** — the family name only, as leaderboards show people to each other."""
    name = (name or "").strip()
    return f"{name[0]}**" if name else "**"


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    name: str
    visits: int
    deals: int
    is_me: bool


def month_start(now: datetime.datetime) -> datetime.datetime:
    return local_day_start(now).replace(day=1)


def broker_leaderboard(*, broker: Broker, now: datetime.datetime | None = None) -> list[LeaderboardRow]:
    """The organisation's top brokers this month by confirmed visits, then deals (subscribed or better)."""
    since = month_start(now or timezone.now())
    rows = (Broker.objects.filter(organization_id=broker.organization_id)
            .annotate(visits=Count("referrals", filter=Q(referrals__visited_at__gte=since)),
                      deals=Count("referrals", filter=Q(referrals__status__in=DEAL_STATUSES,
                                                        referrals__order__subscribed_at__gte=since)))
            .filter(Q(visits__gt=0) | Q(deals__gt=0))
            .order_by("-visits", "-deals", "pk")
            .values("pk", "real_name", "visits", "deals")[:LEADERBOARD_SIZE])
    return [LeaderboardRow(rank=index, name=masked_name(row["real_name"]), visits=row["visits"], deals=row["deals"],
                           is_me=row["pk"] == broker.pk) for index, row in enumerate(rows, start=1)]


@dataclass(frozen=True)
class AgencyAgent:
    broker: Broker
    report_count: int
    visit_count: int
    deal_count: int
    commissions: CommissionTotals


@dataclass(frozen=True)
class AgencyReport:
    referral: Referral
    agent_name: str
    phone: str  # masked, unless the manager made the report himself


def _agency_agents_of(broker: Broker) -> QuerySet[Broker]:
    """The brokers of the manager's agency in his organisation; anyone but an agency's manager finds no agency."""
    if not broker.is_agency_manager or broker.agency_id is None:
        raise NotFound(_("No such agency."), code="not_an_agency_manager")
    return Broker.objects.filter(organization_id=broker.organization_id, agency_id=broker.agency_id,
                                 agency__organization_id=broker.organization_id)


def _commission_totals_by_user(*, organization_id: int, user_ids: list[int]) -> dict[int, CommissionTotals]:
    # One grouped query beside the counts: summing entries in the same query as counting reports would join both
    # to the broker and multiply each sum by the other's rows.
    rows = (CommissionEntry.objects.filter(organization_id=organization_id, beneficiary_id__in=user_ids)
            .order_by().values("beneficiary_id").annotate(
                pending=Sum("amount", filter=Q(kind=EntryKind.COMMISSION, status=EntryStatus.PENDING)),
                payable=Sum("amount", filter=Q(kind=EntryKind.COMMISSION, status=EntryStatus.PAYABLE)),
                paid=Sum("amount", filter=Q(kind=EntryKind.COMMISSION, status=EntryStatus.PAID)),
                owed=Sum("amount", filter=Q(kind=EntryKind.CLAWBACK, status=EntryStatus.OWED))))
    return {row["beneficiary_id"]: CommissionTotals(pending=row["pending"] or 0, payable=row["payable"] or 0,
                                                    paid=row["paid"] or 0, owed=-(row["owed"] or 0))
            for row in rows}


def agency_agents(*, broker: Broker) -> list[AgencyAgent]:
    """The agents of the manager's agency (himself among them), with how many reports each made, how many
    visited and how many became deals (subscribed or better), and each one's commissions in this organisation."""
    agents = list(_agency_agents_of(broker).select_related("agency").annotate(
        report_count=Count("referrals"),
        visit_count=Count("referrals", filter=Q(referrals__visited_at__isnull=False)),
        deal_count=Count("referrals", filter=Q(referrals__status__in=DEAL_STATUSES)),
    ).order_by("-is_agency_manager", "joined_at", "pk"))
    totals = _commission_totals_by_user(organization_id=broker.organization_id,
                                        user_ids=[agent.user_id for agent in agents])
    nothing = CommissionTotals(pending=0, payable=0, paid=0, owed=0)
    return [AgencyAgent(broker=agent, report_count=agent.report_count, visit_count=agent.visit_count,
                        deal_count=agent.deal_count, commissions=totals.get(agent.user_id, nothing))
            for agent in agents]


def _masked_number(referral: Referral) -> str:
    """The report's mask as given, or 前三后四 of a number given in full (never anything with all its digits)."""
    if "*" in referral.phone_shown:
        return referral.phone_shown
    return mask_phone(referral.phone or referral.phone_shown)


def agency_referrals(*, broker: Broker, agent_id: int | None = None, now: datetime.datetime | None = None,
                     limit: int = 200) -> list[AgencyReport]:
    """The reports of the manager's agency's agents (or of one of them), newest first, lapsed windows expired
    first. Numbers are masked: the manager sees in full only a number he reported in full himself."""
    now = now or timezone.now()
    theirs = Referral.objects.filter(organization_id=broker.organization_id,
                                     broker__in=_agency_agents_of(broker).values("pk"))
    if agent_id is not None:
        theirs = theirs.filter(broker_id=agent_id)
    if theirs.filter(lapsed_q(now)).exists():
        referrals_expire(now=now, among=theirs)
    found = theirs.select_related("project", "broker").order_by("-reported_at", "-pk")[:limit]
    return [AgencyReport(referral=referral, agent_name=referral.broker.real_name,
                         phone=referral_phone_display(referral) if referral.broker_id == broker.pk
                         else _masked_number(referral))
            for referral in found]
