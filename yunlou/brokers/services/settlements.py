"""结佣: a channel manager approves payable entries into a settlement batch; finance marks it paid.

A batch takes the chosen payable entries and deducts whatever claw-backs their earners owe; an earner whose
owed claw-backs exceed what he is paid in the batch is left out of it (he is owed nothing this time), so a batch
never pays a negative amount. Entries are locked in id order (two managers approving at once cannot deadlock,
and an entry lands in one batch only). Paying marks every entry of the batch paid — the only way an entry is
ever paid, and a paid entry is never paid again (the status guard and the constraint that a paid entry has its
batch).
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import Organization
from yunlou.accounts.permissions import MANAGE_BROKERS, PAY_COMMISSIONS
from yunlou.accounts.staff import Staff
from yunlou.brokers.models import (
    CommissionEntry,
    EntryStatus,
    Referral,
    ReferralStatus,
    SettlementBatch,
    SettlementStatus,
)
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


def _entries_in_scope(staff: Staff):
    queryset = CommissionEntry.objects.filter(organization=staff.organization)
    if staff.project_ids is not None:
        queryset = queryset.filter(referral__project_id__in=staff.project_ids)
    return queryset


def settlement_create(*, staff: Staff, entry_ids: list[int], now: datetime.datetime | None = None,
                      request=None) -> SettlementBatch:
    if not staff.can(MANAGE_BROKERS):
        raise Forbidden(_("Only the channel manager approves settlements."))
    now = now or timezone.now()
    if not entry_ids:
        raise ValidationFailed(_("Choose the payable entries to settle."), field="entries")
    with transaction.atomic():
        chosen = list(_entries_in_scope(staff).select_for_update().filter(
            pk__in=entry_ids, status=EntryStatus.PAYABLE, batch__isnull=True).order_by("pk"))
        if len(chosen) != len(set(entry_ids)):
            raise Conflict(_("Some chosen entries are not payable any more; please look again."), field="entries")
        if any(entry.beneficiary_id == staff.user.pk for entry in chosen):
            # A channel manager may be an upline himself (his invite brought the broker): he does not approve
            # his own commission.
            raise Forbidden(_("Your own commission is approved by another channel manager or an admin."),
                            field="entries", code="own_commission")
        earners = {entry.beneficiary_id for entry in chosen}
        owed = list(_entries_in_scope(staff).select_for_update().filter(
            beneficiary_id__in=earners, status=EntryStatus.OWED, batch__isnull=True).order_by("pk"))
        net: dict[int, int] = defaultdict(int)
        for entry in chosen + owed:
            net[entry.beneficiary_id] += entry.amount
        lines = [entry for entry in chosen + owed if net[entry.beneficiary_id] > 0]
        if not lines:
            raise ValidationFailed(_("What the chosen earners owe back exceeds what they are owed; nothing to pay."),
                                   field="entries")
        # The organisation's row, locked: batch numbers are counted one approval at a time.
        Organization.objects.select_for_update().filter(pk=staff.organization.pk).first()
        count = SettlementBatch.objects.filter(organization=staff.organization).count() + 1
        batch = SettlementBatch.objects.create(
            organization=staff.organization, number=f"JY{timezone.localtime(now):%Y%m}-{count:04d}",
            total=sum(entry.amount for entry in lines), approved_by=staff.user, approved_at=now)
        CommissionEntry.objects.filter(pk__in=[entry.pk for entry in lines]).update(batch=batch)
        audit_record(action="settlement.approve", target=batch, actor=staff.user, organization=staff.organization,
                     changes={"entries": len(lines), "total": batch.total}, request=request)
    return batch


def batch_recount(batch_id: int) -> None:
    """An entry left an unpaid batch (reversed by a refund): drop earners now owed nothing, fix the total."""
    batch = SettlementBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != SettlementStatus.APPROVED:
        return
    entries = list(CommissionEntry.objects.filter(batch=batch))
    net: dict[int, int] = defaultdict(int)
    for entry in entries:
        net[entry.beneficiary_id] += entry.amount
    dropped = CommissionEntry.objects.filter(
        batch=batch, beneficiary_id__in=[b for b, v in net.items() if v <= 0]).update(batch=None)
    previous = batch.total
    batch.total = CommissionEntry.objects.filter(batch=batch).aggregate(total=Sum("amount"))["total"] or 0
    SettlementBatch.objects.filter(pk=batch.pk).update(total=batch.total)
    audit_record(action="settlement.recount", target=batch, organization=batch.organization,
                 changes={"total": [previous, batch.total], "entries_dropped": dropped})


def settlement_pay(*, staff: Staff, batch_id: int, now: datetime.datetime | None = None,
                   request=None) -> SettlementBatch:
    if not staff.can(PAY_COMMISSIONS):
        raise Forbidden(_("Only finance marks a settlement paid."))
    now = now or timezone.now()
    with transaction.atomic():
        batch = SettlementBatch.objects.select_for_update().filter(pk=batch_id, organization=staff.organization).first()
        if batch is None:
            raise NotFound(_("No such settlement batch."), field="batch")
        if batch.status != SettlementStatus.APPROVED:
            raise Conflict(_("This batch is paid already."), code="already_paid")
        if staff.project_ids is not None and CommissionEntry.objects.filter(batch=batch).exclude(
                referral__project_id__in=staff.project_ids).exists():
            raise Forbidden(_("This batch holds commissions of projects you do not cover."), code="out_of_scope")
        CommissionEntry.objects.filter(batch=batch, status__in=(EntryStatus.PAYABLE, EntryStatus.OWED)).update(
            status=EntryStatus.PAID, paid_at=now)
        SettlementBatch.objects.filter(pk=batch.pk).update(status=SettlementStatus.PAID, paid_at=now,
                                                            paid_by=staff.user)
        # A signed deal all of whose entries are paid is settled.
        referral_ids = set(CommissionEntry.objects.filter(batch=batch).values_list("referral_id", flat=True))
        for referral in Referral.objects.select_related("project").filter(pk__in=referral_ids,
                                                                          status=ReferralStatus.SIGNED):
            if not referral.commissions.exclude(status__in=(EntryStatus.PAID, EntryStatus.REVERSED)).exists():
                Referral.objects.filter(pk=referral.pk, status=ReferralStatus.SIGNED).update(
                    status=ReferralStatus.SETTLED)
                audit_record(action="referral.settle", target=referral, actor=staff.user,
                             project=referral.project,
                             changes={"status": [ReferralStatus.SIGNED, ReferralStatus.SETTLED], "batch": batch.number})
        audit_record(action="settlement.pay", target=batch, actor=staff.user, organization=staff.organization,
                     request=request)
    batch.refresh_from_db()
    return batch
