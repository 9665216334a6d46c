"""佣金: the ledger of what brokers (一级) and their uplines (二级) earn, by the rules version of the report.

- Deal commission D: the rules' fixed amount, or basis points (‱) of the order's price, rounded half up to the
  fen. With `subscribe_share_percent` s, s % of D is earned at subscription (payable at once) and the rest at
  the deal stage; otherwise all of D is one deal entry. Entries are written when the order is subscribed and
  start `pending`; the deal entry becomes payable at signing, once the configured share of the price is
  collected, or at loan disbursement (`payable_on`).
- 带看 bonus: a fixed amount per confirmed visit, payable at once.
- The upline (whoever invited the broker) earns, per direct entry, basis points of it; or a fixed amount once
  per deal, on the deal entry.
- 退房: the order's unpaid entries are reversed; a paid one stays paid and a claw-back (its negative) is
  written, owed by the earner until a settlement deducts it.
A unique index makes each (report, deal, level, stage) entry once, and one claw-back per paid entry: calling
any hook twice writes nothing twice.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from yunlou.brokers.models import (
    CommissionEntry,
    DirectMode,
    EntryKind,
    EntryStatus,
    PayableOn,
    Referral,
    ReferralRules,
    ReferralStatus,
    Stage,
    UplineMode,
)
from yunlou.core.audit import audit_record


def share(amount: int, basis_points: int) -> int:
    return int((Decimal(amount) * basis_points / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def deal_amounts(rules: ReferralRules, price: int) -> dict[str, int]:
    """The direct (一级) amount of each deal stage for an order at `price` (fen)."""
    total = rules.direct_fixed if rules.direct_mode == DirectMode.FIXED else share(price, rules.direct_basis_points)
    at_subscription = share(total, rules.subscribe_share_percent * 100)
    return {Stage.SUBSCRIBE: at_subscription, Stage.DEAL: total - at_subscription}


def upline_amount(rules: ReferralRules, direct: int, stage: str) -> int:
    if rules.upline_mode == UplineMode.PERCENT:
        return share(direct, rules.upline_basis_points)
    if rules.upline_mode == UplineMode.FIXED and stage == Stage.DEAL:
        return rules.upline_fixed
    return 0


def _write(*, referral: Referral, order, stage: str, direct: int, status: str, now) -> list[CommissionEntry]:
    deal_key = f"order:{order.pk}" if order is not None else "visit"
    rows = [(1, referral.broker.user_id, direct)]
    upline_id = referral.broker.upline_id
    if upline_id and upline_id != referral.broker.user_id:
        rows.append((2, upline_id, upline_amount(referral.rules, direct, stage)))
    written = []
    for level, beneficiary_id, amount in rows:
        if amount <= 0:
            continue
        entry = CommissionEntry(
            organization_id=referral.organization_id, referral=referral, order=order, deal_key=deal_key,
            beneficiary_id=beneficiary_id, level=level, stage=stage, amount=amount, status=status, created_at=now,
            payable_at=now if status == EntryStatus.PAYABLE else None)
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:  # written already (a hook called twice)
            continue
        written.append(entry)
    return written


def commissions_for_visit(*, referral: Referral, now: datetime.datetime) -> list[CommissionEntry]:
    if referral.rules.visit_bonus <= 0:
        return []
    return _write(referral=referral, order=None, stage=Stage.VISIT, direct=referral.rules.visit_bonus,
                  status=EntryStatus.PAYABLE, now=now)


def _owning_referral(order) -> Referral | None:
    """The report that owns the order's buyer in the order's project, still within its protection."""
    now = timezone.now()
    phone_hash = order.pledge.phone_hash
    return (Referral.objects.select_for_update().select_related("rules", "broker")
            .filter(project_id=order.launch.project_id, customer__phone_hash=phone_hash)
            .filter(Q(status__in=(ReferralStatus.SUBSCRIBED, ReferralStatus.SIGNED, ReferralStatus.SETTLED))
                    | (Q(status=ReferralStatus.VISITED, protected_until__gt=now)
                       & (Q(deal_deadline__isnull=True) | Q(deal_deadline__gt=now))))
            .first())


def _advance(referral: Referral, status: str, order=None) -> None:
    updates = {"status": status}
    if order is not None and referral.order_id is None:
        updates["order"] = order
    Referral.objects.filter(pk=referral.pk).update(**updates)
    audit_record(action="referral.advance", target=referral, project=referral.project,
                 changes={"status": [referral.status, status]})
    referral.status = status


def referral_order_subscribed(order) -> list[CommissionEntry]:
    """The order of a referred buyer is subscribed: the report advances, the deal's entries are written."""
    if order.is_rehearsal:
        return []
    referral = _owning_referral(order)
    if referral is None:
        return []
    now = timezone.now()
    if referral.status == ReferralStatus.VISITED:
        _advance(referral, ReferralStatus.SUBSCRIBED, order)
    amounts = deal_amounts(referral.rules, order.price)
    written = _write(referral=referral, order=order, stage=Stage.SUBSCRIBE, direct=amounts[Stage.SUBSCRIBE],
                     status=EntryStatus.PAYABLE, now=now)
    written += _write(referral=referral, order=order, stage=Stage.DEAL, direct=amounts[Stage.DEAL],
                      status=EntryStatus.PENDING, now=now)
    if order.status == "signed":
        referral_order_signed(order)
    return written


def _make_payable(order, now, *, why: str) -> int:
    made = CommissionEntry.objects.filter(order=order, kind=EntryKind.COMMISSION, status=EntryStatus.PENDING).update(
        status=EntryStatus.PAYABLE, payable_at=now)
    if made:
        audit_record(action="commission.payable", target=order, project=order.launch.project,
                     changes={"entries": made, "why": why})
    return made


def referral_order_signed(order) -> None:
    if order.is_rehearsal:
        return
    referral = _owning_referral(order)
    if referral is None:
        return
    if referral.status in (ReferralStatus.VISITED, ReferralStatus.SUBSCRIBED):
        _advance(referral, ReferralStatus.SIGNED, order)
    if referral.rules.payable_on == PayableOn.SIGNING:
        _make_payable(order, timezone.now(), why=PayableOn.SIGNING)
    elif referral.rules.payable_on == PayableOn.COLLECTED:
        commissions_collection_check(order)


def commissions_collection_check(order) -> int:
    """Deal entries whose rules wait for a share of the price collected become payable once it is."""
    from yunlou.payments.models import Payment, PaymentStatus

    entry = (CommissionEntry.objects.select_related("referral__rules")
             .filter(order=order, status=EntryStatus.PENDING, kind=EntryKind.COMMISSION).first())
    if entry is None or entry.referral.rules.payable_on != PayableOn.COLLECTED or order.status != "signed":
        return 0
    collected = Payment.objects.filter(reference=f"order:{order.pk}", status=PaymentStatus.PAID).aggregate(
        total=Sum("amount_fen"))["total"] or 0
    if collected * 100 < order.price * entry.referral.rules.payable_collected_percent:
        return 0
    return _make_payable(order, timezone.now(), why=PayableOn.COLLECTED)


def commissions_loan_disbursed(*, order, actor, request=None) -> int:
    """放款: the buyer's mortgage was paid out; entries waiting for it become payable."""
    with transaction.atomic():
        entry = (CommissionEntry.objects.select_related("referral__rules")
                 .filter(order=order, status=EntryStatus.PENDING, kind=EntryKind.COMMISSION).first())
        if entry is None or entry.referral.rules.payable_on != PayableOn.LOAN:
            return 0
        made = _make_payable(order, timezone.now(), why=PayableOn.LOAN)
        audit_record(action="commission.loan_disbursed", target=order, actor=actor,
                     project=order.launch.project, request=request)
    return made


def referral_order_refunded(order) -> list[CommissionEntry]:
    """退房: reverse the order's unpaid entries; claw back the paid ones. The report goes back to visited unless
    the buyer has another live deal through it (then it follows that one).

    Lock order: the batches the order's entries are in, then the entries — as paying a batch does."""
    from yunlou.brokers.models import SettlementBatch
    from yunlou.brokers.services.settlements import batch_recount

    now = timezone.now()
    clawbacks = []
    batch_ids = set(CommissionEntry.objects.filter(order=order, batch__isnull=False).values_list("batch_id", flat=True))
    list(SettlementBatch.objects.select_for_update().filter(pk__in=batch_ids).order_by("pk"))
    entries = list(CommissionEntry.objects.select_for_update().filter(order=order, kind=EntryKind.COMMISSION)
                   .order_by("pk"))
    batches = set()
    for entry in entries:
        if entry.status in (EntryStatus.PENDING, EntryStatus.PAYABLE):
            CommissionEntry.objects.filter(pk=entry.pk, status=entry.status).update(
                status=EntryStatus.REVERSED, reversed_at=now, batch=None)
            if entry.batch_id:
                batches.add(entry.batch_id)
        elif entry.status == EntryStatus.PAID and not CommissionEntry.objects.filter(reverses=entry).exists():
            clawbacks.append(CommissionEntry.objects.create(
                organization_id=entry.organization_id, referral_id=entry.referral_id, order=order,
                deal_key=entry.deal_key, beneficiary_id=entry.beneficiary_id, level=entry.level, stage=entry.stage,
                kind=EntryKind.CLAWBACK, amount=-entry.amount, status=EntryStatus.OWED, reverses=entry,
                created_at=now))
    for batch_id in sorted(batches):
        batch_recount(batch_id)
    referral = Referral.objects.select_for_update().filter(
        order=order, status__in=(ReferralStatus.SUBSCRIBED, ReferralStatus.SIGNED, ReferralStatus.SETTLED)).first()
    if referral is not None:
        other = _other_live_order(referral, order)
        if other is None:
            _advance(referral, ReferralStatus.VISITED)
            Referral.objects.filter(pk=referral.pk).update(order=None)
        else:  # the buyer's other deal through this report carries it on
            Referral.objects.filter(pk=referral.pk).update(order=other)
            status = ReferralStatus.SIGNED if other.status == "signed" else ReferralStatus.SUBSCRIBED
            if status != referral.status:
                _advance(referral, status)
    if entries:
        audit_record(action="commission.reverse", target=order, project=order.launch.project,
                     changes={"reversed": sum(e.status in (EntryStatus.PENDING, EntryStatus.PAYABLE) for e in entries),
                              "clawbacks": len(clawbacks)})
    return clawbacks


def _other_live_order(referral: Referral, refunded_order):
    """Another subscribed or signed order the report earned commission on, if any."""
    from yunlou.launch.models import Order

    return (Order.objects.filter(commissions__referral=referral, status__in=("subscribed", "signed"))
            .exclude(pk=refunded_order.pk).order_by("pk").first())
