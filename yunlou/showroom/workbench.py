"""The consultant's workbench (销售关联), mobile: share links and QR codes, own customers, consultations,
notifications. Managers also see every customer of their projects and may reassign them."""

import io

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yunlou.accounts.models import Role
from yunlou.accounts.permissions import REASSIGN_CUSTOMER, USE_WORKBENCH
from yunlou.accounts.staff import staff_required
from yunlou.catalogue.selectors import project_list
from yunlou.core.errors import DomainError
from yunlou.core.notifications import notification_list, notifications_mark_read
from yunlou.core.parsing import positive_int
from yunlou.core.urls import public_url
from yunlou.crm.selectors import consultation_list, customer_list
from yunlou.crm.services import (
    binding_reassign,
    consultations_mark_handled,
    customer_phone_reveal,
    project_consultants,
)
from yunlou.showroom.services import share_code_for


def _share_url(request, path: str, code: str) -> str:
    return public_url(f"{path}?s={code}")


@staff_required(USE_WORKBENCH)
@require_GET
def home(request):
    staff = request.staff
    # Share links are a consultant's: only a consultant's link binds a visitor (锁客).
    projects = list(project_list(staff=staff).filter(is_published=True)) if staff.role == Role.CONSULTANT else []
    shares = []
    for project in projects:
        code = share_code_for(owner=staff.user, project=project).code
        pages = [(_("Project page"), reverse("showroom:project", args=[project.pk]))]
        pages += [(f"{plan.name} · {plan.layout_label}", reverse("showroom:floor_plan", args=[project.pk, plan.pk]))
                  for plan in project.floor_plans.order_by("sort_order", "id")]
        if project.panorama_scenes.exists():
            pages.append((_("VR tour"), reverse("showroom:vr", args=[project.pk])))
        shares.append({"project": project, "code": code,
                       "links": [(label, _share_url(request, path, code), path) for label, path in pages]})
    return render(request, "showroom/workbench/home.html", {
        "shares": shares,
        "unread": notification_list(recipient=staff.user, organization=staff.organization)
        .filter(read_at__isnull=True).count(),
        "new_consultations": consultation_list(staff=staff).filter(handled_at__isnull=True).count(),
        "customer_count": customer_list(staff=staff).count(),
    })


@staff_required(USE_WORKBENCH)
@require_GET
def share_qr(request, project_id: int):
    """A QR code (PNG, so it can be saved and sent in WeChat) of the consultant's own link to a showroom page."""
    path = request.GET.get("path", "")
    project = project_list(staff=request.staff).filter(pk=project_id, is_published=True).first()
    if project is None or request.staff.role != Role.CONSULTANT or not path.startswith(f"/p/{project_id}/") \
            or len(path) >= 200:
        raise Http404
    url = _share_url(request, path, share_code_for(owner=request.staff.user, project=project).code)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2, dark="#1d2430")
    return HttpResponse(buffer.getvalue(), content_type="image/png")


@staff_required(USE_WORKBENCH)
@require_GET
def customers(request):
    page = Paginator(customer_list(staff=request.staff), 30).get_page(request.GET.get("page"))
    return render(request, "showroom/workbench/customers.html", {"page": page})


@staff_required(USE_WORKBENCH)
@require_POST
def customer_phone(request, customer_id: int):
    try:
        phone = customer_phone_reveal(staff=request.staff, customer_id=customer_id, request=request)
    except DomainError as exc:
        return render(request, "showroom/workbench/_phone.html", {"error": exc.message}, status=exc.status)
    return render(request, "showroom/workbench/_phone.html", {"phone": phone})


@staff_required(USE_WORKBENCH)
def customer_detail(request, customer_id: int):
    customer = customer_list(staff=request.staff).filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    can_reassign = request.staff.can(REASSIGN_CUSTOMER)
    error = None
    if request.method == "POST":
        if not can_reassign:
            return HttpResponse(status=403)
        consultant_id = positive_int(request.POST.get("consultant")) or 0
        try:
            binding_reassign(staff=request.staff, customer_id=customer.pk, consultant_id=consultant_id,
                             reason=request.POST.get("reason", "")[:500], request=request)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Customer reassigned."))
            return redirect("showroom:workbench_customer", customer_id=customer.pk)
    return render(request, "showroom/workbench/customer.html", {
        "customer": customer,
        "consultations": customer.consultations.select_related("unit").order_by("-created_at")[:20],
        "binding": customer.bindings.filter(ended_at__isnull=True).select_related("consultant").first(),
        "consultants": project_consultants(project=customer.project) if can_reassign else [],
        "can_reassign": can_reassign, "error": error,
    }, status=400 if error else 200)


@staff_required(USE_WORKBENCH)
def consultations(request):
    if request.method == "POST":
        ids = [number for number in map(positive_int, request.POST.getlist("handled")) if number]
        consultations_mark_handled(staff=request.staff, ids=ids)
        return redirect("showroom:workbench_consultations")
    page = Paginator(consultation_list(staff=request.staff), 30).get_page(request.GET.get("page"))
    return render(request, "showroom/workbench/consultations.html", {"page": page})


@staff_required(USE_WORKBENCH)
def notifications(request):
    staff = request.staff
    if request.method == "POST":
        notifications_mark_read(recipient=staff.user, organization=staff.organization)
        return redirect("showroom:workbench_notifications")
    notices = notification_list(recipient=staff.user, organization=staff.organization)
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "showroom/workbench/notifications.html", {"page": page})
