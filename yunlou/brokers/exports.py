"""A settlement batch as .xlsx for finance: one row per ledger line, every cell through the export's formula
escaping (a customer's or broker's name comes from outside), customers' numbers masked."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yunlou.accounts.permissions import PAY_COMMISSIONS
from yunlou.accounts.staff import Staff
from yunlou.brokers.models import Broker, SettlementBatch
from yunlou.brokers.staff_selectors import batch_entries, earner_name, earner_names, referral_masked_phone
from yunlou.core.money import fen_to_yuan
from yunlou.core.spreadsheets import ExportWorkbook

BATCH_COLUMNS = (gettext_lazy("Earner"), gettext_lazy("Level"), gettext_lazy("Stage"), gettext_lazy("Project"),
                 gettext_lazy("Customer"), gettext_lazy("Order / unit"), gettext_lazy("Amount (yuan)"),
                 gettext_lazy("Status"))


def batch_workbook(*, staff: Staff, batch: SettlementBatch) -> tuple[bytes, int]:
    """The batch's lines as an .xlsx file, and how many lines it holds."""
    workbook = ExportWorkbook()
    sheet = workbook.sheet(batch.number)
    sheet.widths([16, 8, 12, 16, 22, 16, 14, 10])
    sheet.append([_("Settlement batch"), batch.number, batch.get_status_display(),
                  _("Total (yuan)"), fen_to_yuan(batch.total)], bold=True)
    sheet.append([str(column) for column in BATCH_COLUMNS], bold=True)
    entries = list(batch_entries(staff=staff, batch=batch))
    names = earner_names(staff=staff, user_ids=[entry.beneficiary_id for entry in entries])
    for entry in entries:
        referral = entry.referral
        order = entry.order
        sheet.append([
            earner_name(entry, names),
            _("Direct") if entry.level == 1 else _("Second level"),
            entry.get_stage_display() if entry.kind == "commission" else entry.get_kind_display(),
            referral.project.name,
            f"{referral.customer_name} {referral_masked_phone(referral)}",
            f"{order.pk} / {order.unit.code}" if order is not None else "",
            fen_to_yuan(entry.amount),
            entry.get_status_display(),
        ])
    if staff.can(PAY_COMMISSIONS):
        _payees(workbook, staff=staff, entries=entries, names=names)
    return workbook.content(), len(entries)


def _payees(workbook: ExportWorkbook, *, staff: Staff, entries, names: dict[int, str]) -> None:
    """For finance, who pays: each earner's net amount and payout account, in full (the export is audited).
    An earner who is no broker here (a consultant earning the second level) is paid through payroll."""
    sheet = workbook.sheet(_("Payees"))
    sheet.widths([16, 16, 24, 14])
    sheet.append([_("Earner"), _("Bank"), _("Bank account"), _("Net amount (yuan)")], bold=True)
    net: dict[int, int] = {}
    for entry in entries:
        net[entry.beneficiary_id] = net.get(entry.beneficiary_id, 0) + entry.amount
    accounts = {broker.user_id: broker for broker in
                Broker.objects.filter(organization=staff.organization, user_id__in=list(net))}
    first_entry = {entry.beneficiary_id: entry for entry in reversed(entries)}
    for user_id, amount in net.items():
        broker = accounts.get(user_id)
        sheet.append([earner_name(first_entry[user_id], names),
                      broker.bank_name if broker else _("Payroll (staff)"),
                      broker.bank_account if broker else "", fen_to_yuan(amount)])
