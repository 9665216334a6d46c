"""The buyer's launch pages (mobile): log in with an SMS code, pick favourites, wait out the countdown, select, then
sign the subscription form and pay the deposit within the hold. Selecting and favourites go through the JSON API
(`yunlou/launch/api.py`) from `launch/buyer.js`; the forms here are plain POSTs."""

import json
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from yunlou.accounts.buyers import LOGIN_PURPOSE, buyer_login
from yunlou.accounts.phone_codes import phone_code_request
from yunlou.catalogue.models import UnitStatus
from yunlou.core.audit import client_ip
from yunlou.core.errors import DomainError, NotFound
from yunlou.core.forms import CleanCharField, form_error_add
from yunlou.launch.models import LaunchEntry, Order, Pledge, PledgeStatus
from yunlou.launch.services.buyers import (
    buyer_may_select,
    buyer_pledge,
    entry_batch,
    launch_grid,
    launch_public_get,
)
from yunlou.launch.services.orders import (
    order_deposit_payment_start,
    order_for_buyer,
    order_subscription_form_sign,
)
from yunlou.launch.services.pledges import pledge_online_start
from yunlou.live.publish import launch_version
from yunlou.showroom.views import status_legend


class BuyerLoginForm(forms.Form):
    phone = CleanCharField(label=gettext_lazy("Mobile number"), max_length=20)
    code = CleanCharField(label=gettext_lazy("SMS code"), max_length=6, required=False)


def _status_labels() -> str:
    return json.dumps({value: str(label) for value, label in UnitStatus.choices}, ensure_ascii=False)


@require_http_methods(["GET", "POST"])
def launch_page(request, launch_id: int):
    launch = launch_public_get(launch_id=launch_id)
    now = timezone.now()
    pledge = buyer_pledge(user=request.user, project_id=launch.project_id)
    form = BuyerLoginForm(request.POST or None)
    code_sent = False
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "send":
                code = phone_code_request(phone=form.cleaned_data["phone"], purpose=LOGIN_PURPOSE,
                                          ip=client_ip(request))
                code_sent = True
                if settings.SMS_CODE_ON_PAGE:  # the demo's console SMS: the code shown, as the SMS would
                    form.demo_code = code
            else:
                buyer_login(request=request, phone=form.cleaned_data["phone"], code=form.cleaned_data["code"])
                return HttpResponseRedirect(reverse("launch_buyer:launch", args=[launch.pk]))
        except DomainError as refused:
            form_error_add(form, refused)
    entry = LaunchEntry.objects.filter(launch=launch, pledge=pledge).first() if pledge else None
    orders = list(Order.objects.filter(launch=launch, pledge=pledge).select_related("unit")
                  .order_by("-held_at")) if pledge else []
    version = launch_version(launch.pk)  # read before the statuses, so a change in between is fetched again
    context = {
        "live_version": version if version >= 0 else None,
        "launch": launch, "project": launch.project, "pledge": pledge, "entry": entry, "form": form,
        "batch": entry_batch(launch, entry),
        "code_sent": code_sent, "legend": status_legend(),
        "grid": [{**unit.__dict__, "label": UnitStatus(unit.status).label}
                 for unit in launch_grid(launch=launch, pledge=pledge, now=now)],
        "may_select": buyer_may_select(launch=launch, pledge=pledge, now=now),
        "rehearsing": launch.is_rehearsing(now), "server_time": now, "orders": orders,
        "status_labels": _status_labels(),
    }
    return render(request, "launch/buyer/launch.html", context, status=200 if form.is_valid() or
                  request.method == "GET" else 400)


class SignatureForm(forms.Form):
    signature = forms.CharField(max_length=700_000, widget=forms.HiddenInput)


def _own_order(request, order_id: int) -> Order:
    if not request.user.is_authenticated:
        raise NotFound(_("No such order."), field="order_id")
    order = Order.objects.select_related("launch", "pledge").filter(pk=order_id).first()
    pledge = buyer_pledge(user=request.user, project_id=order.launch.project_id) if order else None
    if pledge is None:
        raise NotFound(_("No such order."), field="order_id")
    return order_for_buyer(pledge=pledge, order_id=order_id)


@require_http_methods(["GET", "POST"])
def order_page(request, order_id: int):
    order = _own_order(request, order_id)
    form = SignatureForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                order = order_subscription_form_sign(pledge=order.pledge, order_id=order.pk,
                                                     signature=form.cleaned_data["signature"])
                return redirect("launch_buyer:order", order.pk)
            except DomainError as refused:
                form.add_error(None, refused.message)
        else:
            form.add_error(None, _("Please sign before submitting."))
    return render(request, "launch/buyer/order.html", {
        "order": order, "launch": order.launch, "project": order.launch.project, "form": form,
        "server_time": timezone.now(),
    }, status=400 if form.errors else 200)


def _to_gateway(request, payment, *, back: str) -> HttpResponseRedirect:
    """To the gateway's pay page, which sends the buyer back to `back` once they have paid (or cancelled)."""
    separator = "&" if "?" in payment.pay_url else "?"
    return HttpResponseRedirect(
        f"{payment.pay_url}{separator}{urlencode({'redirect_url': request.build_absolute_uri(back)})}")


class PledgeForm(forms.Form):
    name = CleanCharField(label=gettext_lazy("Real name"), max_length=30)
    id_number = CleanCharField(label=gettext_lazy("ID number"), max_length=20)


@require_POST
def pledge_start(request, launch_id: int):
    """认筹 from the launch page: real-name details, then the payment page; back to the launch afterwards."""
    launch = launch_public_get(launch_id=launch_id)
    if not request.user.is_authenticated:
        return redirect("launch_buyer:launch", launch.pk)
    awaiting = Pledge.objects.filter(project_id=launch.project_id, buyer=request.user,
                                     status=PledgeStatus.AWAITING_PAYMENT).exists()
    form = PledgeForm(request.POST) if not awaiting else PledgeForm({"name": "-", "id_number": "-"})
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("launch_buyer:launch", launch.pk)
    try:
        _pledge, payment = pledge_online_start(user=request.user, project_id=launch.project_id,
                                               name=form.cleaned_data["name"],
                                               id_number=form.cleaned_data["id_number"])
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("launch_buyer:launch", launch.pk)
    return _to_gateway(request, payment, back=reverse("launch_buyer:launch", args=[launch.pk]))


@require_POST
def order_pay(request, order_id: int):
    order = _own_order(request, order_id)
    try:
        payment = order_deposit_payment_start(pledge=order.pledge, order_id=order.pk)
    except DomainError as refused:  # the hold ended meanwhile, the form is unsigned, the gateway is down
        messages.error(request, refused.message)
        return redirect("launch_buyer:order", order.pk)
    return _to_gateway(request, payment, back=reverse("launch_buyer:order", args=[order.pk]))
