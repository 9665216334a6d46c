"""Reads for the staff pages of the referral network: every query scoped to the caller's organisation and, for
anything of a project, to the projects the caller's role covers (`Staff.covers`)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.staff import Staff
from yunlou.brokers.models import (
    Agency,
    Broker,
    CommissionEntry,
    EntryStatus,
    Referral,
    ReferralRules,
    SettlementBatch,
)
from yunlou.brokers.services.referrals import referrals_expire
from yunlou.brokers.services.rules import RULE_FIELDS
from yunlou.catalogue.models import Project
from yunlou.catalogue.selectors import project_queryset
from yunlou.core.errors import NotFound
from yunlou.core.phone import mask_phone
from yunlou.crm.models import Customer

AGEING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


def referral_masked_phone(referral: Referral) -> str:
    """What staff pages show of a reported number: the mask, never the full number."""
    return referral.phone_shown or mask_phone(referral.phone)


def project_covered(*, staff: Staff, project_id: int) -> Project:
    project = project_queryset(staff=staff).filter(pk=project_id).first()
    if project is None or not staff.covers(project):
        raise NotFound(_("No such project."), field="project")
    return project


def projects_covered(*, staff: Staff) -> QuerySet[Project]:
    return project_queryset(staff=staff).order_by("id")


# --- brokers and their tree ---

def broker_list(*, staff: Staff, status: str = "") -> QuerySet[Broker]:
    brokers = Broker.objects.filter(organization=staff.organization).select_related("user", "upline", "agency")
    if status:
        brokers = brokers.filter(status=status)
    return brokers


@dataclass
class TreeNode:
    broker: Broker
    downline: list["TreeNode"] = field(default_factory=list)


@dataclass
class TreeRoot:
    """Brokers invited by one person who is not a broker here (a consultant, a channel manager), or by nobody."""

    inviter_name: str
    downline: list[TreeNode]


def broker_tree(*, staff: Staff) -> list[TreeRoot]:
    """The invite tree, upline → downline: the organisation's brokers under whoever invited them."""
    brokers = list(broker_list(staff=staff).order_by("joined_at", "id"))
    nodes = {broker.user_id: TreeNode(broker) for broker in brokers}
    roots: dict[int | None, list[TreeNode]] = defaultdict(list)
    inviters: dict[int | None, str] = {}
    for broker in brokers:
        node = nodes[broker.user_id]
        parent = nodes.get(broker.upline_id)
        if parent is not None and parent is not node and not _descends(parent, node):
            parent.downline.append(node)
        else:
            roots[broker.upline_id].append(node)
            inviters[broker.upline_id] = (str(broker.upline.display_name or broker.upline) if broker.upline
                                          else _("Nobody (joined directly)"))
    return [TreeRoot(inviter_name=inviters[key], downline=downline) for key, downline in roots.items()]


def _descends(candidate: TreeNode, ancestor: TreeNode) -> bool:
    """Whether `candidate` already hangs below `ancestor` (an upline loop would otherwise recurse for ever)."""
    stack = list(ancestor.downline)
    while stack:
        node = stack.pop()
        if node is candidate:
            return True
        stack.extend(node.downline)
    return False


def agency_list(*, staff: Staff) -> QuerySet[Agency]:
    return (Agency.objects.filter(organization=staff.organization)
            .prefetch_related("agents").annotate(agent_count=Count("agents")))


# --- rules and their history ---

@dataclass
class RulesVersion:
    rules: ReferralRules
    changes: list[tuple[str, str, str]]  # (label, before, after)


def _shown(rules: ReferralRules, name: str) -> str:
    display = getattr(rules, f"get_{name}_display", None)
    value = display() if display else getattr(rules, name)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None:
        return "—"
    return str(value)


def rules_history(*, project: Project) -> list[RulesVersion]:
    versions = list(ReferralRules.objects.filter(project=project).select_related("created_by").order_by("version"))
    history = []
    previous = None
    for rules in versions:
        changes = []
        for name in RULE_FIELDS:
            if previous is None or getattr(previous, name) != getattr(rules, name):
                label = str(ReferralRules._meta.get_field(name).verbose_name)
                changes.append((label, _shown(previous, name) if previous else "", _shown(rules, name)))
        history.append(RulesVersion(rules=rules, changes=changes))
        previous = rules
    history.reverse()
    return history


# --- referrals ---

def referral_list(*, project: Project, status: str = "") -> QuerySet[Referral]:
    referrals_expire(among=Referral.objects.filter(project=project))  # lapsed ones read as expired, worker or not
    referrals = Referral.objects.filter(project=project).select_related("broker", "broker__agency")
    if status:
        referrals = referrals.filter(status=status)
    return referrals


def referral_by_code(*, staff: Staff, code: str) -> Referral:
    referral = (Referral.objects.select_related("project", "broker")
                .filter(organization=staff.organization, visit_code=code).first())
    if referral is None or not staff.covers(referral.project):
        raise NotFound(_("No report has this visit code."), field="code")
    return referral


# --- commissions ---

def entries_in_scope(*, staff: Staff) -> QuerySet[CommissionEntry]:
    entries = CommissionEntry.objects.filter(organization=staff.organization)
    if staff.project_ids is not None:
        entries = entries.filter(referral__project_id__in=staff.project_ids)
    return entries.select_related("beneficiary", "referral", "referral__project", "referral__broker",
                                  "order", "order__unit")


def orders_awaiting_loan(*, staff: Staff) -> list:
    """Signed deals whose commission waits for the buyer's mortgage to be paid out (放款), for finance to record."""
    from yunlou.launch.models import Order

    waiting = entries_in_scope(staff=staff).filter(status="pending", kind="commission",
                                                   referral__rules__payable_on="loan", order__status="signed")
    return list(Order.objects.filter(pk__in=waiting.values("order_id")).select_related("unit", "launch__project")
                .order_by("signed_at", "pk")[:200])


def entries_payable(*, staff: Staff) -> QuerySet[CommissionEntry]:
    return entries_in_scope(staff=staff).filter(status=EntryStatus.PAYABLE, batch__isnull=True).order_by(
        "payable_at", "id")


def batch_list(*, staff: Staff) -> QuerySet[SettlementBatch]:
    return SettlementBatch.objects.filter(organization=staff.organization).select_related("approved_by", "paid_by")


def batch_get(*, staff: Staff, batch_id: int) -> SettlementBatch:
    batch = batch_list(staff=staff).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such settlement batch."), field="batch")
    return batch


def batch_entries(*, staff: Staff, batch: SettlementBatch) -> QuerySet[CommissionEntry]:
    return entries_in_scope(staff=staff).filter(batch=batch).order_by("beneficiary_id", "id")


def earner_names(*, staff: Staff, user_ids) -> dict[int, str]:
    """How the pages name an earner: his broker name here, else his display name."""
    names = dict(Broker.objects.filter(organization=staff.organization, user_id__in=set(user_ids))
                 .values_list("user_id", "real_name"))
    return names


def earner_name(entry: CommissionEntry, names: dict[int, str]) -> str:
    return names.get(entry.beneficiary_id) or entry.beneficiary.display_name or str(entry.beneficiary)


@dataclass
class AgeingRow:
    earner: str
    kind: str  # "payable" or "owed"
    buckets: list[int]  # fen per bucket of AGEING_BUCKETS
    total: int


def ageing_bucket(days: int) -> int:
    for index, (_low, high) in enumerate(AGEING_BUCKETS):
        if high is None or days <= high:
            return index
    return len(AGEING_BUCKETS) - 1


def commission_ageing(*, staff: Staff, now: datetime.datetime | None = None) -> list[AgeingRow]:
    """What is owed and for how long: payable entries by days since they became payable, claw-backs owed back by
    days since they were written; per earner."""
    now = now or timezone.now()
    entries = list(entries_in_scope(staff=staff).filter(
        Q(status=EntryStatus.PAYABLE) | Q(status=EntryStatus.OWED)).select_related(None).select_related(
        "beneficiary"))
    names = earner_names(staff=staff, user_ids=[entry.beneficiary_id for entry in entries])
    rows: dict[tuple[int, str], AgeingRow] = {}
    for entry in entries:
        kind = "payable" if entry.status == EntryStatus.PAYABLE else "owed"
        since = (entry.payable_at or entry.created_at) if kind == "payable" else entry.created_at
        days = max(0, (now - since).days)
        row = rows.setdefault((entry.beneficiary_id, kind), AgeingRow(
            earner=earner_name(entry, names), kind=kind, buckets=[0] * len(AGEING_BUCKETS), total=0))
        row.buckets[ageing_bucket(days)] += entry.amount
        row.total += entry.amount
    return sorted(rows.values(), key=lambda row: (row.kind != "payable", -abs(row.total), row.earner))


# --- the public pool (公海) ---

def pool_list(*, staff: Staff) -> QuerySet[Customer]:
    # Visited reports whose protection lapsed put their customers here, even when no worker has swept them.
    referrals_expire(among=Referral.objects.filter(project__in=projects_covered(staff=staff)))
    return (Customer.objects.filter(project__in=projects_covered(staff=staff), pooled_at__isnull=False)
            .select_related("project").order_by("pooled_at", "id"))
