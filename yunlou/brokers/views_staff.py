"""Staff pages of the referral network (/staff/brokers/…): the channel manager's brokers, rules, reports,
settlements and fraud flags; finance's payment of a batch; the front desk's 带看确认 and walk-ins; the public pool.

Views parse, call one service or selector, and render. Domain NotFound/Forbidden become 404/403 in middleware;
other refusals are shown as messages or on the form's field.
"""

import io
from functools import wraps
from urllib.parse import quote

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yunlou.accounts.permissions import CONFIRM_VISITS, MANAGE_BROKERS, PAY_COMMISSIONS, USE_WORKBENCH
from yunlou.accounts.staff import staff_required
from yunlou.brokers import staff_selectors as selectors
from yunlou.brokers.exports import batch_workbook
from yunlou.brokers.forms_staff import (
    BrokerFilterForm,
    BrokerStatusForm,
    PhoneFindForm,
    ReferralFilterForm,
    RulesForm,
    SettlementForm,
    VisitCodeForm,
    VisitConfirmForm,
    WalkInForm,
)
from yunlou.brokers.fraud import fraud_flags
from yunlou.brokers.links import check_in_link, invite_link
from yunlou.brokers.models import BrokerStatus, ReferralStatus
from yunlou.brokers.services.brokers import broker_status_set, invite_for
from yunlou.brokers.services.commissions import commissions_loan_disbursed
from yunlou.brokers.services.rules import rules_in_force, rules_set
from yunlou.brokers.services.settlements import settlement_create, settlement_pay
from yunlou.brokers.services.visits import (
    CHECK_IN_REFRESH_SECONDS,
    CHECK_IN_TOKEN_SECONDS,
    check_in_token,
    pool_claim,
    referral_find,
    referral_visit_confirm,
    visit_register,
)
from yunlou.core.audit import audit_record
from yunlou.core.errors import DomainError
from yunlou.core.forms import form_error_add

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visit_code_url(code: str) -> str:
    """The page a scanned visit code opens at the front desk: put this URL in the QR the broker sends."""
    return reverse("brokers_staff:desk_code", kwargs={"visit_code": code})


def _staff_any(*permissions):
    """Like staff_required, for pages more than one role may open (a batch: the channel manager and finance)."""
    def decorator(view):
        @staff_required()
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not any(request.staff.can(permission) for permission in permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


# --- the channel manager: brokers, the tree, agencies, the invite ---

@staff_required(MANAGE_BROKERS)
@require_GET
def broker_list(request):
    form = BrokerFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.broker_list(staff=request.staff, status=status), 50).get_page(request.GET.get("page"))
    invite = invite_for(user=request.staff.user, organization=request.staff.organization)
    return render(request, "brokers/staff/brokers.html", {
        "form": form, "page": page, "status": status, "tree": selectors.broker_tree(staff=request.staff),
        "agencies": selectors.agency_list(staff=request.staff), "invite": invite,
        "invite_url": invite_link(invite.code),
        "projects": selectors.projects_covered(staff=request.staff), "statuses": BrokerStatus,
    })


@staff_required(MANAGE_BROKERS)
@require_GET
def invite_qr(request):
    invite = invite_for(user=request.staff.user, organization=request.staff.organization)
    buffer = io.BytesIO()
    segno.make(invite_link(invite.code), error="m").save(
        buffer, kind="png", scale=6, border=2, dark="#1d2430")
    return HttpResponse(buffer.getvalue(), content_type="image/png")


@staff_required(CONFIRM_VISITS)
@require_GET
def desk_check_in_qr(request, project_id: int):
    """The sales office's check-in QR, with a fresh timed token (services.visits.check_in_token)."""
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    buffer = io.BytesIO()
    segno.make(check_in_link(project.pk, check_in_token(project_id=project.pk)), error="m").save(
        buffer, kind="png", scale=6, border=2, dark="#1d2430")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@staff_required(MANAGE_BROKERS)
@require_POST
def broker_status(request, broker_id: int):
    form = BrokerStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("brokers_staff:brokers")
    try:
        broker = broker_status_set(staff=request.staff, broker_id=broker_id, status=form.cleaned_data["status"],
                                   request=request)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is now %(status)s.") % {
            "name": broker.real_name, "status": broker.get_status_display()})
    return redirect("brokers_staff:brokers")


# --- rules per project ---

@staff_required(MANAGE_BROKERS)
@require_http_methods(["GET", "POST"])
def rules(request, project_id: int):
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    current = rules_in_force(project_id=project.pk)
    form = RulesForm(request.POST or None, initial=RulesForm.initial_from(current))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = rules_set(staff=request.staff, project_id=project.pk, values=form.rule_values(),
                                  request=request)
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                form.add_error(form.field_for(exc.field) if form.field_for(exc.field) in form.fields else None,
                               exc.message)
                status = exc.status
            else:
                messages.success(request, _("Rules version %(version)s is in force from now.")
                                 % {"version": saved.version})
                return redirect("brokers_staff:rules", project_id=project.pk)
    return render(request, "brokers/staff/rules.html", {
        "project": project, "current": current, "form": form,
        "history": selectors.rules_history(project=project),
    }, status=status)


# --- referrals of a project ---

@staff_required(MANAGE_BROKERS)
@require_GET
def referrals(request, project_id: int):
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    form = ReferralFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.referral_list(project=project, status=status), 50).get_page(request.GET.get("page"))
    for referral in page.object_list:
        referral.masked = selectors.referral_masked_phone(referral)
    return render(request, "brokers/staff/referrals.html", {
        "project": project, "form": form, "page": page, "status": status, "now": timezone.now()})


# --- commissions: choosing payable entries, batches, paying, export, ageing ---

@staff_required(MANAGE_BROKERS)
@require_http_methods(["GET", "POST"])
def commissions(request):
    entries = list(selectors.entries_payable(staff=request.staff))
    form = SettlementForm(request.POST or None, entry_ids=[entry.pk for entry in entries])
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = settlement_create(staff=request.staff, entry_ids=form.cleaned_data["entries"],
                                          request=request)
            except DomainError as exc:
                form_error_add(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Settlement batch %(number)s approved.") % {"number": batch.number})
                return redirect("brokers_staff:batch", batch_id=batch.pk)
    names = selectors.earner_names(staff=request.staff, user_ids=[entry.beneficiary_id for entry in entries])
    for entry in entries:
        entry.earner = selectors.earner_name(entry, names)
        entry.masked = selectors.referral_masked_phone(entry.referral)
    return render(request, "brokers/staff/commissions.html", {"entries": entries, "form": form}, status=status)


@_staff_any(MANAGE_BROKERS, PAY_COMMISSIONS)
@require_GET
def batches(request):
    page = Paginator(selectors.batch_list(staff=request.staff), 50).get_page(request.GET.get("page"))
    awaiting_loan = selectors.orders_awaiting_loan(staff=request.staff) if request.staff.can(PAY_COMMISSIONS) else []
    return render(request, "brokers/staff/batches.html", {"page": page, "awaiting_loan": awaiting_loan})


@staff_required(PAY_COMMISSIONS)
@require_POST
def loan_disbursed(request, order_id: int):
    """放款: finance records that a buyer's mortgage was paid out; commissions waiting for it become payable."""
    order = next((order for order in selectors.orders_awaiting_loan(staff=request.staff) if order.pk == order_id),
                 None)
    if order is None:
        raise Http404
    made = commissions_loan_disbursed(order=order, actor=request.staff.user, request=request)
    messages.success(request, _("Loan disbursed for %(unit)s: %(count)d commission entries are payable.")
                     % {"unit": order.unit.code, "count": made})
    return redirect("brokers_staff:batches")


@_staff_any(MANAGE_BROKERS, PAY_COMMISSIONS)
@require_GET
def batch(request, batch_id: int):
    found = selectors.batch_get(staff=request.staff, batch_id=batch_id)
    entries = list(selectors.batch_entries(staff=request.staff, batch=found))
    names = selectors.earner_names(staff=request.staff, user_ids=[entry.beneficiary_id for entry in entries])
    for entry in entries:
        entry.earner = selectors.earner_name(entry, names)
        entry.masked = selectors.referral_masked_phone(entry.referral)
    return render(request, "brokers/staff/batch.html", {"batch": found, "entries": entries})


@staff_required(PAY_COMMISSIONS)
@require_POST
def batch_pay(request, batch_id: int):
    try:
        paid = settlement_pay(staff=request.staff, batch_id=batch_id, request=request)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Settlement batch %(number)s is marked paid.") % {"number": paid.number})
    return redirect("brokers_staff:batch", batch_id=batch_id)


@_staff_any(MANAGE_BROKERS, PAY_COMMISSIONS)
@require_GET
def batch_export(request, batch_id: int):
    found = selectors.batch_get(staff=request.staff, batch_id=batch_id)
    content, count = batch_workbook(staff=request.staff, batch=found)
    audit_record(action="settlement.export", target=found, actor=request.staff.user,
                 organization=request.staff.organization, changes={"entries": [None, count]}, request=request)
    response = HttpResponse(content, content_type=XLSX)
    filename = f"{_('Settlement')}-{found.number}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@_staff_any(MANAGE_BROKERS, PAY_COMMISSIONS)
@require_GET
def ageing(request):
    rows = selectors.commission_ageing(staff=request.staff)
    return render(request, "brokers/staff/ageing.html", {"rows": rows, "buckets": selectors.AGEING_BUCKETS})


# --- fraud flags ---

@staff_required(MANAGE_BROKERS)
@require_GET
def fraud(request):
    return render(request, "brokers/staff/fraud.html", {"flags": fraud_flags(request.staff)})


# --- the front desk ---

@staff_required(CONFIRM_VISITS)
@require_GET
def desk_home(request):
    projects = list(selectors.projects_covered(staff=request.staff))
    if len(projects) == 1:
        return redirect("brokers_staff:desk", project_id=projects[0].pk)
    return render(request, "brokers/staff/desk_home.html", {"projects": projects})


def _check_in_context(project) -> dict:
    """The office QR's panel: its image's address changes with every renewal (no cached copy survives one)."""
    return {"project": project, "check_in_minutes": CHECK_IN_TOKEN_SECONDS // 60,
            "refresh_seconds": CHECK_IN_REFRESH_SECONDS, "refresh_minutes": CHECK_IN_REFRESH_SECONDS // 60,
            "issued_at": timezone.now()}


def _desk_context(request, project, **extra) -> dict:
    return {"code_form": VisitCodeForm(), "find_form": PhoneFindForm(), "walk_in_form": WalkInForm(),
            "candidates": None, **_check_in_context(project), **extra}


@staff_required(CONFIRM_VISITS)
@require_GET
def desk_check_in(request, project_id: int):
    """The customer self check-in screen (a tablet or second monitor at the desk): the office QR, renewed on the
    screen every few minutes; htmx asks for the panel alone."""
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    template = "brokers/staff/_check_in_qr.html" if request.headers.get("HX-Request") \
        else "brokers/staff/check_in_screen.html"
    return render(request, template, _check_in_context(project))


@staff_required(CONFIRM_VISITS)
@require_http_methods(["GET", "POST"])
def desk(request, project_id: int):
    """The desk's page: a visit code typed or scanned, a customer's phone matched against reports (posted: a
    number never goes into an address, where logs and browser history keep it), a walk-in."""
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    if "code" in request.GET:
        code_form = VisitCodeForm(request.GET)
        if code_form.is_valid():
            return redirect(visit_code_url(code_form.cleaned_data["code"]))
        return render(request, "brokers/staff/desk.html", _desk_context(request, project, code_form=code_form),
                      status=400)
    if request.method == "POST":
        find_form = PhoneFindForm(request.POST)
        candidates = None
        status = 400
        if find_form.is_valid():
            try:
                candidates = referral_find(staff=request.staff, project_id=project.pk,
                                           phone=find_form.cleaned_data["phone"])
            except DomainError as exc:
                if exc.status == 404:
                    raise
                form_error_add(find_form, exc)
            else:
                status = 200
                for referral in candidates:
                    referral.masked = selectors.referral_masked_phone(referral)
        return render(request, "brokers/staff/desk.html", _desk_context(
            request, project, find_form=find_form, candidates=candidates,
            typed_phone=find_form.cleaned_data.get("phone", "") if find_form.is_valid() else ""), status=status)
    return render(request, "brokers/staff/desk.html", _desk_context(request, project))


@staff_required(CONFIRM_VISITS)
@require_POST
def desk_confirm(request, project_id: int):
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    form = VisitConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the report to confirm."))
        return redirect("brokers_staff:desk", project_id=project.pk)
    _confirm(request, form.cleaned_data["referral"], form.cleaned_data["phone"])
    return redirect("brokers_staff:desk", project_id=project.pk)


def _confirm(request, referral_id: int, phone: str) -> bool:
    try:
        referral = referral_visit_confirm(staff=request.staff, referral_id=referral_id, phone=phone,
                                          request=request)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
        return False
    messages.success(request, _("Visit confirmed: %(customer)s, brought by %(broker)s.") % {
        "customer": referral.customer_name, "broker": referral.broker.real_name})
    return True


@staff_required(CONFIRM_VISITS)
@require_http_methods(["GET", "POST"])
def desk_code(request, visit_code: str):
    """What a scanned visit code opens: the report it belongs to, and the button that confirms the visit."""
    code = visit_code.strip().upper()[:12]
    referral = selectors.referral_by_code(staff=request.staff, code=code)
    project = referral.project
    if request.method == "POST":
        form = VisitConfirmForm({"referral": referral.pk, "phone": request.POST.get("phone", "")})
        phone = form.cleaned_data["phone"] if form.is_valid() else ""
        _confirm(request, referral.pk, phone)
        return redirect("brokers_staff:desk", project_id=project.pk)
    found = referral_find(staff=request.staff, project_id=project.pk, visit_code=code)  # expires a lapsed one
    referral.refresh_from_db()
    referral.masked = selectors.referral_masked_phone(referral)
    return render(request, "brokers/staff/desk_code.html", {
        "project": project, "referral": referral, "waiting": bool(found), "needs_phone": not referral.phone,
        "form": VisitConfirmForm(), "statuses": ReferralStatus})


@staff_required(CONFIRM_VISITS)
@require_POST
def desk_walk_in(request, project_id: int):
    project = selectors.project_covered(staff=request.staff, project_id=project_id)
    form = WalkInForm(request.POST)
    if form.is_valid():
        try:
            visit = visit_register(staff=request.staff, project_id=project.pk,
                                   customer_name=form.cleaned_data["customer_name"],
                                   phone=form.cleaned_data["phone"], request=request)
        except DomainError as exc:
            if exc.status == 404:
                raise
            form_error_add(form, exc)
        else:
            messages.success(request, _("Walk-in registered: %(customer)s%(first)s.") % {
                "customer": visit.customer.name, "first": _(" (first visit)") if visit.is_first else ""})
            return redirect("brokers_staff:desk", project_id=project.pk)
    return render(request, "brokers/staff/desk.html", _desk_context(request, project, walk_in_form=form),
                  status=400)


# --- the public pool (公海) ---

@staff_required(USE_WORKBENCH)
@require_GET
def pool(request):
    page = Paginator(selectors.pool_list(staff=request.staff), 50).get_page(request.GET.get("page"))
    return render(request, "brokers/staff/pool.html", {"page": page})


@staff_required(USE_WORKBENCH)
@require_POST
def pool_take(request, customer_id: int):
    try:
        customer = pool_claim(staff=request.staff, customer_id=customer_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(customer)s is now your customer.") % {"customer": customer.name})
    return redirect("brokers_staff:pool")
