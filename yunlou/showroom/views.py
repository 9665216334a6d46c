"""The buyer's showroom (线上展厅): mobile pages, server-rendered, enhanced with htmx where it helps."""

from itertools import groupby
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yunlou.accounts.models import Role
from yunlou.accounts.phone_codes import phone_code_request
from yunlou.accounts.sms import ConsoleSmsBackend
from yunlou.accounts.staff import request_staff
from yunlou.catalogue.models import STATUS_COLOURS, UnitStatus
from yunlou.catalogue.selectors import panorama_tour
from yunlou.core.audit import client_ip
from yunlou.core.errors import DomainError
from yunlou.core.money import fen_to_yuan, yuan_to_fen
from yunlou.core.parsing import positive_int
from yunlou.core.urls import public_url
from yunlou.crm.services import project_consultants
from yunlou.crm.services.consultations import ConsultationInput
from yunlou.showroom import selectors
from yunlou.showroom.forms import ConsultationForm, MortgageForm, PhoneCodeForm, ShowroomSearchForm
from yunlou.showroom.location import map_links
from yunlou.showroom.mortgage import LoanKind, MortgageInputError, RepaymentMethod, mortgage_plan
from yunlou.showroom.page_cache import consultant_card, shared_page, visit_beacon
from yunlou.showroom.services import consultation_file, share_code_for
from yunlou.showroom.visit import link_code, link_code_forget, visit_for, visit_memo_forget


def status_legend(counts: dict[str, int] | None = None) -> list[dict]:
    """Every unit status with its word and colour (and its count), for a legend that never leaves one out."""
    return [{"status": status.value, "label": str(status.label), "colour": STATUS_COLOURS[status.value],
             "count": None if counts is None else counts.get(status.value, 0)} for status in UnitStatus]


def _page(request, template: str, project, context: dict, status: int = 200):
    """Render a project's page with the visit (binding and consultant card) every page carries.

    A consultant of the project looking at any showroom page also gets their own link to it and its QR code.
    """
    context.setdefault("consultation_form", ConsultationForm())
    staff = request_staff(request)
    # Only a consultant of the project gets a link: only their links bind (锁客), so no one else's would count.
    if staff is not None and staff.role == Role.CONSULTANT and staff.covers(project):
        code = share_code_for(owner=staff.user, project=project).code
        context["my_share"] = {"url": public_url(f"{request.path}?s={code}"),
                               "qr": reverse("showroom:workbench_qr", args=[project.pk]) + "?" + urlencode(
                                   {"path": request.path})}
    visit = context.pop("visit", None) or visit_for(request, project)
    return render(request, template, {"project": project, "visit": visit, **context,
                                      "consultant_card": consultant_card(visit.consultant_id),
                                      "visit_beacon": visit_beacon(visit)}, status=status)


@require_GET
def project_list(request):
    form = ShowroomSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    projects = selectors.showroom_project_list(
        search=filters.get("q", ""), price=filters.get("price", ""), rooms=filters.get("rooms", ""),
        area=filters.get("area", ""),
    )
    request.wants_visitor_cookie = True
    return render(request, "showroom/project_list.html", {"form": form, "projects": projects})


@require_GET
def project_detail(request, project_id: int):
    """The page shared links lead to. Anonymous visitors get the shared rendering (page_cache) with their card."""
    if request.user.is_authenticated:
        project = selectors.showroom_project(project_id=project_id)
        showcase = selectors.project_showcase(project=project)
        return _page(request, "showroom/project_detail.html", project, {
            "showcase": showcase, "map_links": map_links(project)})
    stub = selectors.showroom_project_stub(project_id=project_id)
    visit = visit_for(request, stub)

    def context() -> dict:
        project = selectors.showroom_project(project_id=project_id)
        return {"project": project, "visit": visit, "showcase": selectors.project_showcase(project=project),
                "map_links": map_links(project), "consultation_form": ConsultationForm()}

    return HttpResponse(shared_page(
        request, name=f"project:{stub.pk}", version=stub.updated_at.isoformat(),
        template="showroom/project_detail.html", context=context, consultant_id=visit.consultant_id,
        consultants=lambda: list(project_consultants(project=stub)), beacon=visit_beacon(visit)))


# A transparent 1×1 GIF: what an <img> beacon expects back.
_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@require_GET
def beacon(request, project_id: int):
    """The page's beacon after a first view through a link: the browser, now carrying our cookie, is bound."""
    visit_for(request, selectors.showroom_project_stub(project_id=project_id))
    response = HttpResponse(_PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def floor_plan_detail(request, project_id: int, plan_id: int):
    project = selectors.showroom_project(project_id=project_id)
    plan = selectors.showroom_floor_plan(project=project, plan_id=plan_id)
    floor_min, floor_max = _floor_range(request)
    available_only = request.GET.get("available") == "1"
    units = selectors.availability_list(project=project, floor_plan_id=plan.pk, floor_min=floor_min,
                                        floor_max=floor_max, available_only=available_only)
    by_building = [(building, list(group)) for building, group in groupby(units, key=lambda unit: unit.building)]
    context = {"plan": plan, "by_building": by_building, "unit_count": sum(len(g) for _b, g in by_building),
               "floor_min": floor_min, "floor_max": floor_max, "available_only": available_only,
               "poll_url": request.get_full_path(), "legend": status_legend()}
    if request.headers.get("HX-Request"):
        return render(request, "showroom/_unit_list.html", {"project": project, **context})
    return _page(request, "showroom/floor_plan.html", project, context)


def _floor_range(request) -> tuple[int | None, int | None]:
    low = positive_int(request.GET.get("floor_min"), maximum=199)
    high = positive_int(request.GET.get("floor_max"), maximum=199)
    if low and high and low > high:
        low, high = high, low
    return low, high


@require_GET
def unit_detail(request, project_id: int, unit_id: int):
    project = selectors.showroom_project(project_id=project_id)
    unit = selectors.showroom_unit(project=project, unit_id=unit_id)
    if request.headers.get("HX-Request"):
        return render(request, "showroom/_unit_status.html", {"unit": unit})
    return _page(request, "showroom/unit_detail.html", project, {
        "unit": unit, "is_available": unit.status == UnitStatus.AVAILABLE,
        "consultation_form": ConsultationForm(initial={"unit": unit.pk}),
    })


@require_GET
def site_plan(request, project_id: int):
    project = selectors.showroom_project(project_id=project_id)
    if not project.site_plan:
        raise Http404(_("This project has no site plan yet."))
    buildings = list(project.buildings.exclude(site_x__isnull=True).order_by("sort_order", "id"))
    return _page(request, "showroom/site_plan.html", project, {"buildings": buildings})


@require_GET
def building_detail(request, project_id: int, building_id: int):
    project = selectors.showroom_project(project_id=project_id)
    building = selectors.showroom_building(project=project, building_id=building_id)
    board = selectors.building_board(building=building)
    return _page(request, "showroom/building.html", project, {
        "building": building, "board": board, "legend": status_legend(board.counts)})


@require_GET
def building_prices(request, project_id: int, building_id: int):
    """一房一价公示: the public price list of a building with a presale permit."""
    project = selectors.showroom_project(project_id=project_id)
    publication = selectors.price_publication(project=project, building_id=building_id)
    return _page(request, "showroom/building_prices.html", project, {
        "building": publication.building, "publication": publication})


@require_GET
def news(request, project_id: int):
    project = selectors.showroom_project(project_id=project_id)
    return _page(request, "showroom/news.html", project, {"news": selectors.project_news(project=project)[:100]})


@require_GET
def vr_tour(request, project_id: int):
    project = selectors.showroom_project(project_id=project_id)
    scenes = panorama_tour(project=project)
    if not scenes:
        raise Http404(_("This project has no VR tour yet."))
    config = {
        "default": {"firstScene": scenes[0].key, "sceneFadeDuration": 600, "autoLoad": True},
        "scenes": {
            scene.key: {
                "title": scene.title, "type": "equirectangular", "panorama": scene.image.url,
                "yaw": scene.initial_yaw, "pitch": scene.initial_pitch, "hfov": 100,
                "hotSpots": [
                    {"pitch": h.pitch, "yaw": h.yaw, "type": "scene", "text": h.text or h.target_scene.title,
                     "sceneId": h.target_scene.key}
                    for h in scene.hotspots.all()
                ],
            }
            for scene in scenes
        },
    }
    return _page(request, "showroom/vr_tour.html", project, {"scenes": scenes, "tour_config": config})


@require_GET
def calculator(request, project_id: int):
    project = selectors.showroom_project(project_id=project_id)
    unit = None
    unit_id = positive_int(request.GET.get("unit"))
    if unit_id:
        unit = selectors.showroom_units(project=project).filter(pk=unit_id).first()
    price = unit.list_price if unit else (project.price_min or 300_000_000)
    initial = {
        "price_yuan": price // 100 if price % 100 == 0 else fen_to_yuan(price),
        "down_payment_percent": project.default_down_payment_percent,
        "kind": LoanKind.COMMERCIAL.value, "years": 30, "method": RepaymentMethod.EQUAL_INSTALMENT.value,
        "commercial_rate": project.commercial_rate, "provident_fund_rate": project.provident_fund_rate,
    }
    form = MortgageForm({**initial, **request.GET.dict()} if "price_yuan" in request.GET else initial)
    plan = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = mortgage_plan(
                price=yuan_to_fen(data["price_yuan"]), down_payment_percent=data["down_payment_percent"],
                years=data["years"], method=RepaymentMethod(data["method"]), kind=LoanKind(data["kind"]),
                commercial_rate=data["commercial_rate"], provident_fund_rate=data["provident_fund_rate"],
                provident_fund_amount=yuan_to_fen(data["provident_fund_yuan"])
                if data.get("provident_fund_yuan") else None,
            )
        except MortgageInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
    # Below the project's minimum down payment the plan is still shown, with a warning (banks would refuse it).
    warning = form.down_payment_warning(minimum_percent=project.minimum_down_payment_percent) if plan else ""
    context = {"form": form, "plan": plan, "unit": unit, "warning": warning}
    if request.headers.get("HX-Request"):
        # The result card is the target; the sticky result bar comes along out of band.
        return render(request, "showroom/_mortgage_result.html", {"project": project, "oob": True, **context},
                      status=200 if plan else 422)
    return _page(request, "showroom/calculator.html", project, context, status=200 if plan else 422)


@require_POST
def phone_code(request, project_id: int):
    """Send the SMS code for the consultation form."""
    project = selectors.showroom_project(project_id=project_id)
    form = PhoneCodeForm(request.POST)
    context: dict = {"project": project}
    status = 200
    if not form.is_valid():
        # The number itself is wrong: the page clears this error as soon as the number is typed right.
        context["error"], context["error_field"] = form.errors["phone"][0], "phone"
        status = 422
    else:
        try:
            code = phone_code_request(phone=form.cleaned_data["phone"], purpose="consultation",
                                      ip=client_ip(request))
        except DomainError as exc:
            context["error"], status = exc.message, exc.status
        else:
            context["sent"] = True
            if settings.SMS_CODE_ON_PAGE:
                context["demo_code"] = ConsoleSmsBackend.last_code(form.cleaned_data["phone"]) or code
    if request.headers.get("HX-Request"):
        return render(request, "showroom/_code_status.html", context, status=status)
    # Without JavaScript the whole form came here: show it again, filled in, with the outcome.
    form = ConsultationForm(initial=request.POST.dict())
    return _page(request, "showroom/consultation.html", project,
                 {"consultation_form": form, "code_status": context}, status=status)


@require_POST
def consultation(request, project_id: int):
    project = selectors.showroom_project(project_id=project_id)
    form = ConsultationForm(request.POST)
    consultation = referral = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            consultation, referral = consultation_file(
                project=project,
                data=ConsultationInput(name=data["name"], phone=data["phone"], code=data["code"],
                                       question=data["question"], preferred_visit_at=data["preferred_visit_at"],
                                       unit_id=data["unit"]),
                visitor_id=request.visitor_id, ip=client_ip(request),
                offered_consultant=visit_for(request, project).consultant, link=link_code(request, project),
            )
        except DomainError as exc:
            for problem in exc.details if isinstance(exc.details, list) else [{"field": exc.field,
                                                                               "message": exc.message}]:
                field = {"preferred_visit_at": "visit_date", "unit_id": "unit"}.get(problem["field"], problem["field"])
                form.add_error(field if field in form.fields else None, problem["message"])
    status = 201 if consultation else 422
    if consultation:
        visit_memo_forget(request, project)  # the browser is a customer's now: its binding is the customer's
        link_code_forget(request, project)  # the link has brought its one customer
    context = {"consultation_form": form, "consultation": consultation,
               "visit_code": referral.visit_code if referral is not None else None}
    if request.headers.get("HX-Request"):
        return render(request, "showroom/_consultation.html", {"project": project, **context}, status=status)
    return _page(request, "showroom/consultation.html", project, context, status=status)
