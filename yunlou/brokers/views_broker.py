"""The broker's mobile pages (/b/…): join from an invite, log in with an SMS code, report a customer, follow one's
reports, team, commissions and the leaderboard; an agency's manager, his agency's agents and their reports; and
the customer's own check-in from the sales office's QR.

A broker acting for several developers picks one with `?org=<id>`; without it, his first. Domain refusals
(NotFound, Forbidden) become 404/403 in the middleware."""

import io
import uuid

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yunlou.accounts.buyers import LOGIN_PURPOSE, buyer_login
from yunlou.accounts.phone_codes import phone_code_request, phone_code_verify
from yunlou.brokers.forms import BankForm, JoinForm, PhoneCodeForm, ReportForm
from yunlou.brokers.links import invite_link, visit_code_link
from yunlou.brokers.models import Broker, BrokerStatus, ReferralStatus
from yunlou.brokers.selectors import (
    agency_agents,
    agency_referrals,
    broker_commission_list,
    broker_commission_totals,
    broker_current,
    broker_leaderboard,
    broker_project_list,
    broker_referral_get,
    broker_referral_list,
    broker_roles,
    broker_team,
)
from yunlou.brokers.services.brokers import broker_bank_set, broker_join, invite_for, invite_get
from yunlou.brokers.services.referrals import broker_reject_message, referral_create, referral_phone_display
from yunlou.brokers.services.visits import check_in_token_valid, referral_check_in
from yunlou.catalogue.models import Project
from yunlou.core.audit import client_ip
from yunlou.core.errors import DomainError, NotFound
from yunlou.core.forms import form_error_add
from yunlou.core.money import format_yuan
from yunlou.core.parsing import MAX_ID
from yunlou.showroom.middleware import VISITOR_COOKIE, parse_visitor_id

CHECK_IN_PURPOSE = "referral_check_in"
RECENT_REPORTS = 5


def _organization_id(request) -> int | None:
    raw = request.GET.get("org") or request.POST.get("org") or ""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID else None


def _broker(request) -> Broker:
    return broker_current(user=request.user, organization_id=_organization_id(request))


def _home(broker: Broker) -> str:
    return f"{reverse('brokers:home')}?org={broker.organization_id}"


def _code_send(request, form, *, purpose: str) -> None:
    """Send a code to the form's phone (the demo's console SMS shows it on the page, as the SMS would)."""
    code = phone_code_request(phone=form.cleaned_data["phone"], purpose=purpose, ip=client_ip(request))
    form.code_sent = True
    if settings.SMS_CODE_ON_PAGE:
        form.demo_code = code


def invite_url(request, broker_or_user, organization) -> str:
    invite = invite_for(user=broker_or_user, organization=organization)
    return invite_link(invite.code)


def device_id(request) -> uuid.UUID | None:
    """The browser's first-party visitor id (signed cookie, or a mini program's header), for the fraud flags; None
    when the browser brought none (a fresh id would tie nothing together)."""
    if getattr(request, "visitor_source", None):
        return request.visitor_id
    return parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE))


def _png(text: str) -> HttpResponse:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=2, dark="#1d2430")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_http_methods(["GET", "POST"])
def join(request, invite_code: str):
    """注册: the invite says who invites; the phone's SMS code logs the person in; the broker then awaits approval."""
    invite = invite_get(invite_code)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "send":
                _code_send(request, form, purpose=LOGIN_PURPOSE)
            else:
                broker = broker_join(request=request, invite_code=invite.code, phone=form.cleaned_data["phone"],
                                     code=form.cleaned_data["code"], real_name=form.cleaned_data["real_name"],
                                     agency_name=form.cleaned_data["agency_name"])
                return HttpResponseRedirect(_home(broker))
        except DomainError as refused:
            form_error_add(form, refused)
    inviter = invite.owner.display_name or _("a sales team member")
    return render(request, "brokers/broker/join.html", {
        "invite": invite, "inviter": inviter, "organization": invite.organization, "form": form,
    }, status=400 if request.method == "POST" and form.errors else 200)


@require_http_methods(["GET", "POST"])
def home(request):
    """我的: log in (anonymous), the approval notice (pending), or the invite link, the report form and the latest
    reports (active)."""
    if not request.user.is_authenticated or not broker_roles(user=request.user):
        return _login(request)
    broker = _broker(request)
    if broker.status != BrokerStatus.ACTIVE:
        return render(request, "brokers/broker/home.html", {"broker": broker, "roles": broker_roles(
            user=request.user)})
    projects = broker_project_list(broker=broker)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = referral_create(
                user=request.user, project_id=form.cleaned_data["project"],
                customer_name=form.cleaned_data["customer_name"], phone=form.cleaned_data["phone"],
                intended_visit_at=form.cleaned_data["intended_visit_at"],
                device_id=device_id(request), ip=client_ip(request))
            if referral.status == ReferralStatus.REJECTED:
                messages.error(request, _("Report refused: %(reason)s") % {"reason": broker_reject_message(referral)})
            else:
                messages.success(request, _("Reported. Send the customer the visit code."))
            return redirect("brokers:referral", referral.pk)
        except DomainError as refused:
            form_error_add(form, refused)
    return render(request, "brokers/broker/home.html", {
        "broker": broker, "roles": broker_roles(user=request.user), "projects": projects, "form": form,
        "invite_url": invite_url(request, request.user, broker.organization),
        "referrals": _referral_rows(broker_referral_list(broker=broker)[:RECENT_REPORTS]),
        "now": timezone.now(),
    }, status=400 if request.method == "POST" and form.errors else 200)


def _login(request):
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "send":
                _code_send(request, form, purpose=LOGIN_PURPOSE)
            else:
                buyer_login(request=request, phone=form.cleaned_data["phone"], code=form.cleaned_data["code"])
                return redirect("brokers:home")
        except DomainError as refused:
            form_error_add(form, refused)
    return render(request, "brokers/broker/login.html", {"form": form},
                  status=400 if request.method == "POST" and form.errors else 200)


def _referral_rows(referrals) -> list[dict]:
    return [{"referral": referral, "phone": referral_phone_display(referral),
             "refusal": broker_reject_message(referral) if referral.status == ReferralStatus.REJECTED else ""}
            for referral in referrals]


def _active_broker(request) -> Broker:
    broker = _broker(request)
    if broker.status != BrokerStatus.ACTIVE:
        raise NotFound(_("Your broker account is not active (awaiting approval or frozen)."))
    return broker


def _signed_in(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("brokers:home")
        return view(request, *args, **kwargs)
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_signed_in
@require_GET
def invite_qr(request):
    """My invite link as a QR code (PNG, to save and send in WeChat)."""
    broker = _active_broker(request)
    return _png(invite_url(request, request.user, broker.organization))


@_signed_in
@require_GET
def referrals(request):
    broker = _broker(request)
    return render(request, "brokers/broker/referrals.html", {
        "broker": broker, "referrals": _referral_rows(broker_referral_list(broker=broker)[:200]),
        "now": timezone.now()})


@_signed_in
@require_GET
def referral(request, referral_id: int):
    """One report: its status and times, and while it awaits the visit, the code the customer shows at the desk."""
    broker = _broker(request)
    found = broker_referral_get(broker=broker, referral_id=referral_id)
    return render(request, "brokers/broker/referral.html", {
        "broker": broker, "row": _referral_rows([found])[0], "referral": found, "now": timezone.now()})


@_signed_in
@require_GET
def referral_qr(request, referral_id: int):
    broker = _broker(request)
    found = broker_referral_get(broker=broker, referral_id=referral_id)
    if found.status != ReferralStatus.REPORTED or not found.visit_code:
        raise NotFound(_("No such report."), field="referral_id")
    # The code as the desk's address: a receptionist's phone camera opens the confirmation page; a scanner gun
    # types the address into the desk's code box, which reads the code out of it.
    return _png(visit_code_link(found.visit_code))


@_signed_in
@require_GET
def team(request):
    broker = _broker(request)
    return render(request, "brokers/broker/team.html", {"broker": broker, "team": broker_team(broker=broker)})


@_signed_in
@require_GET
def commissions(request):
    broker = _broker(request)
    totals = broker_commission_totals(broker=broker)
    return render(request, "brokers/broker/commissions.html", {
        "broker": broker, "entries": broker_commission_list(broker=broker),
        "totals": [(_("Pending"), format_yuan(totals.pending)), (_("Payable"), format_yuan(totals.payable)),
                   (_("Paid"), format_yuan(totals.paid)), (_("Owed back"), format_yuan(totals.owed))],
    })


@_signed_in
@require_GET
def leaderboard(request):
    broker = _broker(request)
    return render(request, "brokers/broker/leaderboard.html", {
        "broker": broker, "rows": broker_leaderboard(broker=broker)})


def _agent_id(request) -> int | None:
    raw = request.GET.get("agent") or ""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID else None


@_signed_in
@require_GET
def agency(request):
    """我的中介: the agency's agents with their reports, visits, deals and commissions (its manager only)."""
    broker = _broker(request)
    return render(request, "brokers/broker/agency.html", {"broker": broker, "agents": agency_agents(broker=broker)})


@_signed_in
@require_GET
def agency_reports(request):
    """The agency's reports, all or one agent's, numbers masked (its manager only)."""
    broker = _broker(request)
    agents = agency_agents(broker=broker)
    agent_id = _agent_id(request)
    return render(request, "brokers/broker/agency_reports.html", {
        "broker": broker, "agents": agents, "agent_id": agent_id,
        "reports": agency_referrals(broker=broker, agent_id=agent_id), "now": timezone.now()})


@_signed_in
@require_http_methods(["GET", "POST"])
def bank(request):
    broker = _broker(request)
    form = BankForm(request.POST or None, initial={"bank_name": broker.bank_name})
    if request.method == "POST" and form.is_valid():
        try:
            broker_bank_set(broker=broker, bank_name=form.cleaned_data["bank_name"],
                            bank_account=form.cleaned_data["bank_account"])
            messages.success(request, _("Bank account saved."))
            return HttpResponseRedirect(f"{reverse('brokers:bank')}?org={broker.organization_id}")
        except DomainError as refused:
            form_error_add(form, refused)
    return render(request, "brokers/broker/bank.html", {"broker": broker, "form": form},
                  status=400 if request.method == "POST" and form.errors else 200)


@require_http_methods(["GET", "POST"])
def check_in(request, project_id: int):
    """The customer's own check-in from the sales office's QR: his number, proven by an SMS code, makes his
    waiting report visited. Nothing here tells who reported him."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."), field="project")
    # The office QR's timed token (see services.visits.check_in_token), carried from the scan through the form.
    token = (request.POST.get("t") if request.method == "POST" else request.GET.get("t")) or ""
    if not check_in_token_valid(project_id=project.pk, token=token):
        return render(request, "brokers/broker/check_in.html", {"project": project, "expired": True}, status=400)
    form = PhoneCodeForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "send":
                _code_send(request, form, purpose=CHECK_IN_PURPOSE)
            else:
                phone_code_verify(phone=form.cleaned_data["phone"], purpose=CHECK_IN_PURPOSE,
                                  code=form.cleaned_data["code"])
                checked_in = referral_check_in(project_id=project.pk, phone=form.cleaned_data["phone"], token=token)
                result = "done" if checked_in else "none"
        except DomainError as refused:
            form_error_add(form, refused)
    return render(request, "brokers/broker/check_in.html",
                  {"project": project, "form": form, "result": result, "token": token},
                  status=400 if request.method == "POST" and form.errors else 200)
