"""What a broker reads about himself: his roles, the projects open to his reports, his own reports, his team
(the brokers he invited), his commission ledger and the organisation's leaderboard.

Every read is scoped to the broker's organisation and to what is his: another broker's report answers exactly like
a missing one, and the leaderboard shows masked names and counts only — never a phone.
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
from yunlou.brokers.services.referrals import lapsed_q, local_day_start, referrals_expire
from yunlou.brokers.services.rules import rules_in_force
from yunlou.catalogue.models import Project
from yunlou.core.errors import Forbidden, NotFound

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


def broker_commission_list(*, broker: Broker) -> QuerySet[CommissionEntry]:
    return (CommissionEntry.objects.filter(organization_id=broker.organization_id, beneficiary_id=broker.user_id)
            .select_related("referral__project").order_by("-created_at", "-pk"))


def broker_commission_totals(*, broker: Broker) -> CommissionTotals:
    sums = broker_commission_list(broker=broker).order_by().aggregate(
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
