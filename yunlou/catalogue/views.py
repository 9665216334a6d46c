"""Staff back-office pages for the catalogue: projects, the sales control grid, the price list."""

from urllib.parse import quote

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yunlou.accounts.permissions import (
    CHANGE_UNIT_STATUS,
    EXPORT_PRICE_LIST,
    IMPORT_PRICE_LIST,
    VIEW_CATALOGUE,
    VIEW_GRID,
)
from yunlou.accounts.staff import staff_required
from yunlou.catalogue import selectors, services
from yunlou.catalogue.forms import GridFilterForm, PriceListImportForm, UnitStatusForm
from yunlou.catalogue.models import UnitStatus
from yunlou.core.errors import DomainError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@staff_required(VIEW_CATALOGUE)
def staff_home(request):
    projects = (
        selectors.project_list(staff=request.staff)
        .prefetch_related("buildings")
        .annotate(unit_count=Count("buildings__units"))
    )
    return render(request, "catalogue/staff_home.html", {"projects": projects})


def _grid_context(request, building_id: int) -> dict:
    form = GridFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    grid = selectors.building_grid(
        staff=request.staff, building_id=building_id,
        floor_plan_id=filters.get("floor_plan"), status=filters.get("status") or None,
    )
    if filters:
        form.check_floor_plan(grid.floor_plans)
    return {"grid": grid, "form": form, "can_change": request.staff.can(CHANGE_UNIT_STATUS)}


@staff_required(VIEW_GRID)
def grid(request, building_id: int):
    context = _grid_context(request, building_id)
    template = "catalogue/_grid.html" if request.headers.get("HX-Request") else "catalogue/grid.html"
    return render(request, template, context)


@staff_required(CHANGE_UNIT_STATUS)
@require_http_methods(["GET", "POST"])
def unit_status(request, unit_id: int):
    unit = (
        selectors.unit_list(staff=request.staff, filters=selectors.UnitFilters())
        .filter(pk=unit_id).first()
    )
    if unit is None:
        raise Http404(_("No such unit."))
    form = UnitStatusForm(request.POST or None, unit=unit)
    is_htmx = bool(request.headers.get("HX-Request"))
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_status_change(
                staff=request.staff, unit_id=unit.pk, to_status=form.cleaned_data["status"],
                note=form.cleaned_data["note"], request=request,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(code)s is now “%(status)s”.") % {
                "code": unit.code, "status": UnitStatus(form.cleaned_data["status"]).label})
            grid_url = reverse("catalogue:grid", args=[unit.building_id])
            if is_htmx:
                response = HttpResponse(status=204)
                response["HX-Trigger"] = "grid-changed"
                return response
            return redirect(grid_url)
    status = 422 if request.method == "POST" else 200
    template = "catalogue/_unit_status_form.html" if is_htmx else "catalogue/unit_status.html"
    return render(request, template, {"unit": unit, "form": form}, status=status)


@staff_required(IMPORT_PRICE_LIST)
@require_http_methods(["GET", "POST"])
def price_list(request, project_id: int):
    project = selectors.project_get(staff=request.staff, project_id=project_id)
    form = PriceListImportForm(request.POST or None, request.FILES or None)
    errors, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.price_list_import(
                    staff=request.staff, project_id=project.pk, file=upload, file_name=upload.name, request=request
                )
            except DomainError as exc:
                errors, status = {"message": exc.message, "rows": exc.details or []}, 400
            else:
                messages.success(request, _(
                    "Price list imported: %(created)s units created, %(updated)s updated, %(unchanged)s unchanged."
                ) % vars(result))
                return redirect("catalogue:price_list", project_id=project.pk)
        else:
            status = 400
    return render(request, "catalogue/price_list.html",
                  {"project": project, "form": form, "errors": errors}, status=status)


@staff_required(EXPORT_PRICE_LIST)
def price_list_export(request, project_id: int):
    exported = services.price_list_export(staff=request.staff, project_id=project_id, request=request)
    response = HttpResponse(exported.content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(exported.filename)}"
    return response
