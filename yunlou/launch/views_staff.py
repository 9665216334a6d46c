"""Staff pages of the online launch (开盘): launches of a project, setting one up, its pledges and lottery, its
orders and their export, and the board and big screen (电视墙) the sales office watches during the launch.

Views parse, call one service or selector, and render. Uploads are read and checked (yunlou.core.spreadsheets)
before any service opens a transaction, so a hostile file costs a quick 400, never a held lock.
"""

import json
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yunlou.accounts.permissions import MANAGE_LAUNCH, RECORD_PAYMENTS, VIEW_SALES_FIGURES
from yunlou.accounts.staff import staff_required
from yunlou.catalogue.models import SOLD_STATUSES, UnitStatus
from yunlou.core.audit import audit_record
from yunlou.core.errors import DomainError, ImportRejected, NotFound
from yunlou.core.forms import form_error_add
from yunlou.core.money import fen_to_yuan
from yunlou.core.spreadsheets import ExportWorkbook, Limits, open_spreadsheet, read_upload
from yunlou.launch import selectors
from yunlou.launch.forms import (
    BatchesForm,
    CounterPaymentForm,
    DrawForm,
    LaunchForm,
    OrderFilterForm,
    OrderImportForm,
    PaymentSyncForm,
    PledgeImportForm,
)
from yunlou.launch.models import Launch
from yunlou.launch.services.launches import (
    launch_anomalies,
    launch_batches_set,
    launch_create,
    launch_draw,
    launch_list_freeze,
    launch_order_import,
    launch_rehearsal_clear,
)
from yunlou.launch.services.pledges import pledge_import, pledge_rows_read
from yunlou.live.publish import launch_version
from yunlou.payments.services import payment_record_counter
from yunlou.payments.services import payment_sync as sync_payment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_LIMITS = Limits(rows=20_000)  # a pledge list or a lottery result: a row per buyer
ORDER_HEADERS = {
    "place": {"顺序号", "摇号顺序号", "顺序", "序号", "place"},
    "number": {"认筹编号", "认筹号", "认筹单号", "pledge number"},
}


# --- launches of a project ---

@staff_required(MANAGE_LAUNCH)
def launch_list(request, project_id: int):
    project, launches = selectors.launch_list(staff=request.staff, project_id=project_id)
    return render(request, "launch/staff/launch_list.html", {"project": project, "launches": launches,
                                                             "now": timezone.now()})


@staff_required(MANAGE_LAUNCH)
@require_http_methods(["GET", "POST"])
def launch_new(request, project_id: int):
    project, _launches = selectors.launch_list(staff=request.staff, project_id=project_id)
    unit_choices = selectors.launch_unit_choices(project=project)
    form = LaunchForm(request.POST or None, unit_choices=unit_choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                launch = _launch_create(request, project.pk, data)
            except DomainError as exc:
                form_error_add(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Launch “%(name)s” set up.") % {"name": launch.name})
                return redirect("launch_staff:launch_detail", launch_id=launch.pk)
    return render(request, "launch/staff/launch_form.html", {
        "project": project, "form": form, "unit_choices": unit_choices, "chosen": form.chosen(),
    }, status=status)


def _launch_create(request, project_id: int, data: dict) -> Launch:
    return launch_create(
        staff=request.staff, project_id=project_id, name=data["name"], starts_at=data["starts_at"],
        ends_at=data["ends_at"], unit_ids=data["unit_ids"], reserved_unit_ids=data["reserved_unit_ids"],
        per_buyer_limit=data["per_buyer_limit"], hold_minutes=data["hold_minutes"], deposit=data["deposit"],
        entry_order=data["entry_order"], rehearsal_starts_at=data["rehearsal_starts_at"],
        rehearsal_ends_at=data["rehearsal_ends_at"],
    )


# --- one launch: settings, pledges, the list, the draw, flags, the rehearsal ---

def _detail(request, launch: Launch, *, status: int = 200, **extra):
    anomalies = []
    if launch.drawn_at:
        anomalies = launch_anomalies(staff=request.staff, launch_id=launch.pk)
    context = {
        "launch": launch, "project": launch.project, "now": timezone.now(),
        "pledges": selectors.pledge_page(launch=launch, page_number=request.GET.get("page")),
        "pledge_counts": selectors.pledge_counts(launch=launch),
        "offered": launch.launch_units.filter(is_reserved=False).count(),
        "reserved": launch.launch_units.filter(is_reserved=True).count(),
        "rehearsal_orders": launch.orders.filter(is_rehearsal=True).count(),
        "anomalies": anomalies,
        "pledge_form": PledgeImportForm(), "draw_form": DrawForm(), "order_form": OrderImportForm(),
        "batches": launch.batches.order_by("number"), "batches_form": BatchesForm(),
        **extra,
    }
    return render(request, "launch/staff/launch_detail.html", context, status=status)


@staff_required(MANAGE_LAUNCH)
def launch_detail(request, launch_id: int):
    return _detail(request, selectors.launch_get(staff=request.staff, launch_id=launch_id))


def _upload_rows(form) -> list[tuple[int, tuple]]:
    """The first sheet's rows, read within bounds — before any transaction."""
    upload = form.cleaned_data["file"]
    content = read_upload(upload, limits=UPLOAD_LIMITS)
    spreadsheet = open_spreadsheet(content, file_name=upload.name, limits=UPLOAD_LIMITS)
    sheet = next(spreadsheet.sheets, None)
    if sheet is None:
        raise ImportRejected(_("The sheet is empty."), field="file")
    return list(sheet.rows)


def _import_errors(exc: DomainError) -> dict:
    return {"message": exc.message, "rows": exc.details or []}


@staff_required(MANAGE_LAUNCH)
@require_POST
def pledge_upload(request, launch_id: int):
    launch = selectors.launch_get(staff=request.staff, launch_id=launch_id)
    form = PledgeImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, launch, status=400, pledge_form=form)
    try:
        rows = pledge_rows_read(_upload_rows(form))
        pledges = pledge_import(staff=request.staff, project_id=launch.project_id, rows=rows)
    except DomainError as exc:
        return _detail(request, launch, status=exc.status, pledge_form=form, pledge_errors=_import_errors(exc))
    messages.success(request, _("%(count)s pledges imported.") % {"count": len(pledges)})
    return redirect("launch_staff:launch_detail", launch_id=launch.pk)


@staff_required(MANAGE_LAUNCH)
@require_POST
def list_freeze(request, launch_id: int):
    try:
        launch = launch_list_freeze(staff=request.staff, launch_id=launch_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The eligible list is frozen: %(count)s pledges. Its SHA-256 and the seed's "
                                    "are published.") % {"count": launch.entries.count()})
    return redirect("launch_staff:launch_detail", launch_id=launch_id)


@staff_required(MANAGE_LAUNCH)
@require_POST
def draw(request, launch_id: int):
    launch = selectors.launch_get(staff=request.staff, launch_id=launch_id)
    form = DrawForm(request.POST)
    if form.is_valid():
        try:
            launch_draw(staff=request.staff, launch_id=launch.pk, public_value=form.cleaned_data["public_value"])
        except DomainError as exc:
            form_error_add(form, exc)
            return _detail(request, launch, status=exc.status, draw_form=form)
        messages.success(request, _("The lottery is drawn; the order is published."))
        return redirect("launch_staff:launch_detail", launch_id=launch.pk)
    return _detail(request, launch, status=400, draw_form=form)


@staff_required(MANAGE_LAUNCH)
@require_POST
def batches_set(request, launch_id: int):
    launch = selectors.launch_get(staff=request.staff, launch_id=launch_id)
    form = BatchesForm(request.POST)
    if form.is_valid():
        try:
            batches = launch_batches_set(staff=request.staff, launch_id=launch.pk, **form.cleaned_data)
        except DomainError as exc:
            form_error_add(form, exc)
            return _detail(request, launch, status=exc.status, batches_form=form)
        messages.success(request, _("%(count)s batches set.") % {"count": len(batches)})
        return redirect("launch_staff:launch_detail", launch_id=launch.pk)
    return _detail(request, launch, status=400, batches_form=form)


# --- payments (收款) ---

def _payments_page(request, launch: Launch, *, form=None, status: int = 200):
    orders = selectors.deposit_awaiting_orders(launch=launch)
    form = form or CounterPaymentForm(orders=orders, initial={"amount": fen_to_yuan(launch.deposit)})
    context = {"launch": launch, "project": launch.project, "form": form, "awaiting": orders,
               "payments": selectors.launch_payments(launch=launch)}
    return render(request, "launch/staff/payments.html", context, status=status)


@staff_required(RECORD_PAYMENTS)
@require_http_methods(["GET", "POST"])
def payments(request, launch_id: int):
    """Finance records a deposit paid at the counter or by transfer; the order is confirmed as if paid online."""
    launch = selectors.launch_get_for_payments(staff=request.staff, launch_id=launch_id)
    if request.method == "GET":
        return _payments_page(request, launch)
    orders = selectors.deposit_awaiting_orders(launch=launch)
    form = CounterPaymentForm(request.POST, orders=orders)
    if not form.is_valid():  # an order not awaiting its deposit (or of another launch) is not a choice
        return _payments_page(request, launch, form=form, status=400)
    data = form.cleaned_data
    order = next(order for order in orders if order.pk == data["order"])
    try:
        payment_record_counter(staff=request.staff, reference=f"order:{order.pk}", amount_fen=data["amount"],
                               channel=data["channel"], voucher=data["voucher"],
                               description=f"{order.unit.code} 定金", note=data["note"], request=request)
    except DomainError as exc:
        form_error_add(form, exc)
        return _payments_page(request, launch, form=form, status=exc.status)
    messages.success(request, _("The payment is recorded."))
    return redirect("launch_staff:payments", launch_id=launch.pk)


@staff_required(RECORD_PAYMENTS)
@require_POST
def payment_sync(request, launch_id: int):
    """Ask the gateway about an online payment whose notification has not come (the beat does it too)."""
    launch = selectors.launch_get_for_payments(staff=request.staff, launch_id=launch_id)
    form = PaymentSyncForm(request.POST)
    payment = None
    if form.is_valid():
        payment = next((p for p in selectors.launch_payments(launch=launch) if p.pk == form.cleaned_data["payment"]),
                       None)
    if payment is None:
        raise NotFound(_("No such payment."), field="payment")
    try:
        payment = sync_payment(payment=payment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The gateway says: %(status)s.") % {"status": payment.get_status_display()})
    return redirect("launch_staff:payments", launch_id=launch.pk)


def _external_order_rows(rows: list[tuple[int, tuple]]) -> tuple[list[tuple], int]:
    """(place, pledge number) rows below the header that names 顺序号 and 认筹编号, with blank rows where the
    file has them so that problems name the file's own row numbers; and the first data row's number."""
    iterator, header_row = iter(rows), 0
    for header_row, values in iterator:  # noqa: B007 (the header's row number is used below)
        names = [str(value or "").strip().lower() for value in values]
        columns = {key: next((i for i, name in enumerate(names) if name in accepted), None)
                   for key, accepted in ORDER_HEADERS.items()}
        if None not in columns.values():
            break
    else:
        raise ImportRejected(_("The sheet needs a header row naming the columns 顺序号 and 认筹编号."), field="file")
    first_row, data = header_row + 1, []
    for row_number, values in iterator:
        data.extend([()] * (row_number - first_row - len(data)))  # rows the reader skipped as blank
        pick = [values[i] if i < len(values) else None for i in (columns["place"], columns["number"])]
        data.append(tuple(pick))
    return data, first_row


@staff_required(MANAGE_LAUNCH)
@require_POST
def order_upload(request, launch_id: int):
    launch = selectors.launch_get(staff=request.staff, launch_id=launch_id)
    form = OrderImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, launch, status=400, order_form=form)
    try:
        rows, first_row = _external_order_rows(_upload_rows(form))
        if first_row != 1:  # parse_external_order numbers rows from 1: pad so its numbers are the file's
            rows = [()] * (first_row - 1) + rows
        launch_order_import(staff=request.staff, launch_id=launch.pk, rows=rows)
    except DomainError as exc:
        return _detail(request, launch, status=exc.status, order_form=form, order_errors=_import_errors(exc))
    messages.success(request, _("The lottery result is imported; the order is published."))
    return redirect("launch_staff:launch_detail", launch_id=launch.pk)


@staff_required(MANAGE_LAUNCH)
@require_POST
def rehearsal_clear(request, launch_id: int):
    try:
        deleted = launch_rehearsal_clear(staff=request.staff, launch_id=launch_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rehearsal cleared: %(count)s orders removed.") % {"count": deleted})
    return redirect("launch_staff:launch_detail", launch_id=launch_id)


# --- orders ---

def _order_filters(request) -> tuple[OrderFilterForm, selectors.OrderFilters]:
    form = OrderFilterForm(request.GET or None)
    if not form.is_valid():
        return form, selectors.OrderFilters()
    data = form.cleaned_data
    return form, selectors.OrderFilters(status=data["status"], building_id=data["building"],
                                        rehearsal=data["rehearsal"], pledge_number=data["q"])


@staff_required(MANAGE_LAUNCH)
def orders(request, launch_id: int):
    launch = selectors.launch_get(staff=request.staff, launch_id=launch_id)
    form, filters = _order_filters(request)
    page = selectors.order_page(launch=launch, filters=filters, page_number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "launch/staff/orders.html", {
        "launch": launch, "project": launch.project, "form": form, "page": page, "query": query.urlencode(),
        "buildings": selectors.launch_buildings(launch=launch), "show_amounts": request.staff.can(VIEW_SALES_FIGURES),
    })


EXPORT_COLUMNS = (gettext_lazy("Pledge number"), gettext_lazy("Buyer"), gettext_lazy("Phone"), gettext_lazy("Building"),
                  gettext_lazy("Unit"), gettext_lazy("Status"), gettext_lazy("Rehearsal"), gettext_lazy("Price (yuan)"),
                  gettext_lazy("Held"), gettext_lazy("Subscribed"), gettext_lazy("Signed"))


@staff_required(MANAGE_LAUNCH)
def orders_export(request, launch_id: int):
    """The filtered orders as .xlsx: every cell through the export's formula escaping; phones masked; audited."""
    launch = selectors.launch_get(staff=request.staff, launch_id=launch_id)
    _form, filters = _order_filters(request)
    show_amounts = request.staff.can(VIEW_SALES_FIGURES)
    workbook = ExportWorkbook()
    sheet = workbook.sheet(_("Orders"))
    sheet.widths([12, 12, 14, 10, 10, 10, 8, 14, 18, 18, 18])
    sheet.append([str(column) for column in EXPORT_COLUMNS], bold=True)

    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    count = 0
    for order in selectors.order_list(launch=launch, filters=filters).iterator(chunk_size=500):
        count += 1
        sheet.append([
            order.pledge.number, order.pledge.name, order.pledge.masked_phone, str(order.unit.building),
            order.unit.code, order.get_status_display(), _("Yes") if order.is_rehearsal else _("No"),
            fen_to_yuan(order.price) if show_amounts else "", when(order.held_at), when(order.subscribed_at),
            when(order.signed_at),
        ])
    # The export is recorded like the price list's: who took which orders out, when, from where.
    audit_record(action="launch.orders_export", target=launch, actor=request.staff.user, project=launch.project,
                 changes={"orders": [None, count],
                          "filters": {k: v for k, v in vars(filters).items() if v not in ("", None)}},
                 request=request)
    filename = f"{launch.project.name}-{launch.name}-{_('orders')}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(workbook.content(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- the board and the big screen (电视墙) ---

def _board_context(request, launch_id: int) -> dict:
    launch = selectors.launch_get_for_board(staff=request.staff, launch_id=launch_id)
    # The live version is read before the statuses (as the live state endpoint does): a change in between shows
    # in the cells and, as a newer version, is fetched again by the page — never missed.
    version = launch_version(launch.pk)
    show_amounts = request.staff.can(VIEW_SALES_FIGURES)
    board = selectors.launch_board(launch=launch, show_amounts=show_amounts)
    return {
        "launch": launch, "project": launch.project, "board": board, "show_amounts": show_amounts,
        "labels_json": json.dumps(board.labels, ensure_ascii=False),
        "sold_statuses": " ".join(sorted(SOLD_STATUSES)), "held_status": UnitStatus.HELD,
        "live_version": version if version >= 0 else None,
        "events_url": f"/live/launches/{launch.pk}/events", "state_url": f"/live/launches/{launch.pk}/state",
    }


def _board_allowed(view):
    """Managers and finance: the permission check is the selector's (MANAGE_LAUNCH or VIEW_SALES_FIGURES)."""
    return staff_required()(view)


@_board_allowed
def board(request, launch_id: int):
    return render(request, "launch/staff/board.html", _board_context(request, launch_id))


@_board_allowed
def screen(request, launch_id: int):
    return render(request, "launch/staff/screen.html", _board_context(request, launch_id))
