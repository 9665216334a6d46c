"""认筹: pledges — recorded online after payment, or imported by the sales office from its pledge list.

Rules (each refused with the field or row named, nothing written):
- real name; a mainland ID number checked by format, province, birth date and check character; a mobile number;
  both stored encrypted and found through their blind indexes;
- one pledge per ID number and per phone in a project while it is not refunded (database constraints);
- the developer's own staff cannot pledge: a phone of any active member of the organisation is refused;
- every pledge gets the project's next pledge number, RC00001 upwards, in the order pledges are recorded.
A refund (退筹) is allowed until the buyer holds a unit in a launch.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.models import Membership
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import Project
from yunlou.core.audit import audit_record
from yunlou.core.crypto import blind_index
from yunlou.core.errors import Conflict, ImportRejected, NotFound, ValidationFailed
from yunlou.core.id_numbers import normalize_id_number
from yunlou.core.phone import masked_keys, normalize_phone
from yunlou.core.text import strip_controls
from yunlou.launch.models import ACTIVE_ORDER_STATUSES, Order, Pledge, PledgeSource, PledgeStatus
from yunlou.launch.services.launches import _manageable

NUMBER_PREFIX = "RC"
MAX_AMOUNT_FEN = 100_000_000_00  # ¥100 million: past any pledge; a typo beyond it is refused, not stored
PLEDGE_COLUMNS = ("name", "phone", "id_number", "amount")


def _staff_phone_hashes(project: Project) -> set[str]:
    return set(Membership.objects.filter(organization_id=project.organization_id, is_active=True,
                                         user__phone_hash__isnull=False).values_list("user__phone_hash", flat=True))


def _clean_name(raw: Any, field: str) -> str:
    name = strip_controls(str(raw or "")).strip()
    if not name or len(name) > 30:
        raise ValidationFailed(_("Enter the buyer's real name (at most 30 characters)."), field=field)
    return name


def _clean_amount(raw: Any, field: str) -> int:
    try:
        amount = int(raw)
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed(_("Enter the pledge amount in fen as a whole number."), field=field) from None
    if not 0 < amount <= MAX_AMOUNT_FEN:
        raise ValidationFailed(_("The pledge amount must be more than 0 and at most ¥100,000,000."), field=field)
    return amount


def _next_numbers(project: Project, count: int) -> list[str]:
    """The project's next `count` pledge numbers; the caller holds the project row's lock."""
    last = (Pledge.objects.filter(project=project, number__startswith=NUMBER_PREFIX)
            .order_by("-number").values_list("number", flat=True).first())
    start = int(last[len(NUMBER_PREFIX):]) + 1 if last else 1
    return [f"{NUMBER_PREFIX}{number:05d}" for number in range(start, start + count)]


def _duplicate_refusal(project: Project, pledges: Sequence[Pledge]) -> str | None:
    phones = {pledge.phone_hash for pledge in pledges}
    ids = {pledge.id_number_hash for pledge in pledges}
    taken = Pledge.objects.filter(project=project).exclude(status=PledgeStatus.REFUNDED)
    if taken.filter(phone_hash__in=phones).exists():
        return "phone"
    if taken.filter(id_number_hash__in=ids).exists():
        return "id_number"
    return None


def _prepared(project: Project, *, name: Any, phone: Any, id_number: Any, amount: Any, source: str,
              staff_phones: set[str], prefix: str = "") -> Pledge:
    pledge = Pledge(project=project, name=_clean_name(name, f"{prefix}name"),
                    phone=normalize_phone(str(phone or ""), field=f"{prefix}phone"),
                    id_number=normalize_id_number(str(id_number or ""), field=f"{prefix}id_number"),
                    amount=_clean_amount(amount, f"{prefix}amount"), source=source)
    pledge.phone_hash = blind_index(pledge.phone)
    pledge.phone_key_34, pledge.phone_key_43 = masked_keys(pledge.phone)  # bulk_create does not call save()
    pledge.id_number_hash = blind_index(pledge.id_number, purpose="id_number")
    if pledge.phone_hash in staff_phones:
        raise ValidationFailed(_("Staff of the developer cannot pledge for its launches."), field=f"{prefix}phone",
                               code="staff_excluded")
    return pledge


@transaction.atomic
def pledge_create(*, project_id: int, name: str, phone: str, id_number: str, amount: int, buyer=None,
                  status: str = PledgeStatus.AWAITING_PAYMENT) -> Pledge:
    """A buyer's own pledge (online): awaiting payment until the payment arrives (`pledge_paid`)."""
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."), field="project_id")
    pledge = _prepared(project, name=name, phone=phone, id_number=id_number, amount=amount,
                       source=PledgeSource.ONLINE, staff_phones=_staff_phone_hashes(project))
    duplicate = _duplicate_refusal(project, [pledge])
    if duplicate:
        raise Conflict(_("This phone or ID number has a pledge for this project already."), field=duplicate,
                       code="duplicate_pledge")
    pledge.number, = _next_numbers(project, 1)
    pledge.buyer, pledge.status = buyer, status
    try:
        with transaction.atomic():
            pledge.save()
    except IntegrityError:  # the same person pledging twice at one instant: the constraint decides
        raise Conflict(_("This phone or ID number has a pledge for this project already."),
                       code="duplicate_pledge") from None
    audit_record(action="pledge.create", target=pledge, actor=buyer, project=project)
    return pledge


@transaction.atomic
def pledge_paid(*, pledge_id: int) -> Pledge:
    """The pledge's payment arrived: the buyer is pledged (idempotent)."""
    Pledge.objects.filter(pk=pledge_id, status=PledgeStatus.AWAITING_PAYMENT).update(status=PledgeStatus.ACTIVE)
    return Pledge.objects.get(pk=pledge_id)


def pledge_rows_read(rows: Iterable[tuple[int, Sequence[Any]]]) -> list[dict[str, Any]]:
    """The pledge sheet's data rows, after its header row (姓名、手机号、身份证号、认筹金额(元)), as dicts with the
    file's row number."""
    headers = {"姓名": "name", "name": "name", "手机号": "phone", "手机": "phone", "phone": "phone",
               "身份证号": "id_number", "身份证号码": "id_number", "证件号码": "id_number", "id number": "id_number",
               "认筹金额": "amount", "认筹金额(元)": "amount", "认筹金额（元）": "amount", "amount": "amount"}
    iterator = iter(rows)
    header_row = next(iterator, None)
    if header_row is None:
        raise ImportRejected(_("The sheet is empty."), field="file")
    number, values = header_row
    columns = {headers.get(str(value or "").strip().lower()): index for index, value in enumerate(values)}
    missing = [column for column in PLEDGE_COLUMNS if column not in columns]
    if missing:
        raise ImportRejected(_("Row %(row)s must name the columns 姓名, 手机号, 身份证号 and 认筹金额(元).")
                             % {"row": number}, field="file",
                             details=[{"row": number, "column": column, "message": _("Missing column.")}
                                      for column in missing])
    return [{"row": row, **{column: values[index] if index < len(values) else None
                            for column, index in columns.items() if column}} for row, values in iterator]


def _yuan_to_fen(value: Any) -> Any:
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(str(value).replace(",", "").strip()) * 100
    except (InvalidOperation, ValueError):
        return value
    return int(amount) if amount == amount.to_integral_value() and amount.is_finite() else value


@transaction.atomic
def pledge_import(*, staff: Staff, project_id: int, rows: Sequence[dict[str, Any]]) -> list[Pledge]:
    """The sales office's pledge list: every row valid or nothing is written; each bad row named."""
    _manageable(staff, project_id)
    project = Project.objects.select_for_update().get(pk=project_id)
    staff_phones = _staff_phone_hashes(project)
    pledges, problems, seen = [], [], {}
    for row in rows:
        try:
            pledge = _prepared(project, name=row.get("name"), phone=row.get("phone"), id_number=row.get("id_number"),
                               amount=_yuan_to_fen(row.get("amount")), source=PledgeSource.IMPORTED,
                               staff_phones=staff_phones)
        except ValidationFailed as refused:
            problems.append({"row": row["row"], "column": refused.field, "message": str(refused.message)})
            continue
        for key, column in ((pledge.phone_hash, "phone"), (pledge.id_number_hash, "id_number")):
            if key in seen:
                problems.append({"row": row["row"], "column": column,
                                 "message": _("Also in row %(row)s.") % {"row": seen[key]}})
            seen[key] = row["row"]
        if _duplicate_refusal(project, [pledge]):
            problems.append({"row": row["row"], "column": "phone",
                             "message": _("This phone or ID number has a pledge for this project already.")})
        pledges.append(pledge)
    if not rows:
        raise ImportRejected(_("The sheet has no pledges below its header."), field="file")
    if problems:
        raise ImportRejected(_("Nothing was imported: %(count)s problems.") % {"count": len(problems)}, field="file",
                             details=problems)
    for pledge, number in zip(pledges, _next_numbers(project, len(pledges)), strict=True):
        pledge.number, pledge.status = number, PledgeStatus.ACTIVE
    Pledge.objects.bulk_create(pledges)
    audit_record(action="pledge.import", target=project, actor=staff.user, project=project,
                 changes={"pledges": [None, len(pledges)]})
    return pledges


@transaction.atomic
def pledge_refund(*, staff: Staff, pledge_id: int, reason: str = "") -> Pledge:
    """退筹: the buyer leaves the launch; refused while they hold or bought a unit."""
    pledge = Pledge.objects.select_for_update().select_related("project").filter(pk=pledge_id).first()
    if pledge is None or not staff.covers(pledge.project):
        raise NotFound(_("No such pledge."), field="pledge_id")
    _manageable(staff, pledge.project_id)
    if pledge.status == PledgeStatus.REFUNDED:
        raise Conflict(_("This pledge has been refunded already."), code="refunded")
    if Order.objects.filter(pledge=pledge, is_rehearsal=False, status__in=ACTIVE_ORDER_STATUSES).exists():
        raise Conflict(_("The buyer holds a unit: cancel or refund the order first."), code="has_order")
    pledge.status, pledge.refunded_at = PledgeStatus.REFUNDED, timezone.now()
    pledge.save(update_fields=["status", "refunded_at"])
    audit_record(action="pledge.refund", target=pledge, actor=staff.user, project=pledge.project,
                 note=strip_controls(reason)[:200])
    # The money paid online goes back through the gateway once this has committed (never inside the lock).
    from yunlou.launch.services.refunds import payments_refund_for

    transaction.on_commit(lambda: payments_refund_for(reference=f"pledge:{pledge.pk}", staff=staff,
                                                      reason=f"退筹 {strip_controls(reason)}"), robust=True)
    return pledge


def pledge_online_start(*, user, project_id: int, name: str, id_number: str):
    """A logged-in buyer pledges online: the pledge is recorded awaiting payment (with the phone they logged in
    with) and its payment opened at the gateway; returns (pledge, payment). A pledge already awaiting payment
    is paid again rather than duplicated. Outside any transaction: the gateway is called."""
    from django.conf import settings

    from yunlou.payments.services import payment_create

    pledge = Pledge.objects.filter(project_id=project_id, buyer=user, status=PledgeStatus.AWAITING_PAYMENT).first()
    if pledge is None:
        pledge = pledge_create(project_id=project_id, name=name, phone=user.phone, id_number=id_number,
                               amount=settings.PLEDGE_AMOUNT_FEN, buyer=user)
    payment = payment_create(organization=pledge.project.organization, reference=f"pledge:{pledge.pk}",
                             amount_fen=pledge.amount, description=f"{pledge.project.name} 认筹 {pledge.number}")
    return pledge, payment
