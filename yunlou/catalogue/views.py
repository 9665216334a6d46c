"""Staff back-office pages for the catalogue: projects, the sales control grid, price lists (upload, preview,
confirm, versions, export) and presale permits."""

from urllib.parse import quote

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yunlou.accounts.permissions import (
    CHANGE_UNIT_STATUS,
    EXPORT_PRICE_LIST,
    IMPORT_PRICE_LIST,
    MANAGE_CATALOGUE,
    VIEW_CATALOGUE,
    VIEW_GRID,
)
from yunlou.accounts.staff import staff_required
from yunlou.catalogue import selectors, services
from yunlou.catalogue.forms import (
    GridFilterForm,
    PresalePermitForm,
    PriceListConfirmForm,
    PriceListImportForm,
    UnitStatusForm,
)
from yunlou.catalogue.models import PriceListDraftStatus, UnitStatus
from yunlou.catalogue.services.price_versions import price_list_version_current
from yunlou.core.errors import DomainError
from yunlou.core.forms import form_error_add

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS_SHOWN = 500  # per table of the preview; the counts above them are always complete


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
    """The grid's unit dialog: the unit, its price history, and the status a manager may set by hand."""
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
            form_error_add(form, exc)
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
    history = selectors.unit_price_history(unit_id=unit.pk)
    return render(request, template, {"unit": unit, "form": form, "history": history}, status=status)


# --- price lists: upload, preview, confirm or discard, versions, export ---

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
                draft = services.price_list_upload(
                    staff=request.staff, project_id=project.pk, file=upload, file_name=upload.name, request=request
                )
            except DomainError as exc:
                errors, status = {"message": exc.message, "rows": exc.details or []}, exc.status
            else:
                return redirect("catalogue:price_list_draft", project_id=project.pk, draft_id=draft.pk)
        else:
            status = 400
    open_drafts = project.price_list_drafts.filter(status=PriceListDraftStatus.PREVIEW).select_related("uploaded_by")
    return render(request, "catalogue/price_list.html", {
        "project": project, "form": form, "errors": errors, "open_drafts": open_drafts[:10],
    }, status=status)


def _draft(request, project_id: int, draft_id: int):
    draft = selectors.price_list_draft_get(staff=request.staff, draft_id=draft_id)
    if draft.project_id != project_id:
        raise Http404(_("No such price list preview."))
    return draft


def _preview_context(draft, form: PriceListConfirmForm | None) -> dict:
    """The draft's plan as the preview page shows it: new units, changed prices, other changes, counts."""
    plan = draft.plan
    repriced, details = [], []
    for change in plan["changed"]:
        before, after = change["before"], change["after"]
        if change["price_changed"]:
            difference = after["list_price"] - before["list_price"]
            repriced.append({
                **change, "difference": difference,
                "share": difference / before["list_price"] if before["list_price"] else None,
                "status_label": UnitStatus(before["status"]).label,
            })
        else:
            moved = []
            if after["floor_plan"] is not None and after["floor_plan"] != before["floor_plan"]:
                moved.append((_("Floor plan"), before["floor_plan"] or "—", after["floor_plan"]))
            if after["net_area"] is not None and after["net_area"] != before["net_area"]:
                moved.append((_("Net area"), before["net_area"] or "—", after["net_area"]))
            if after["note"] is not None and after["note"] != before["note"]:
                moved.append((_("Remarks"), before["note"] or "—", after["note"]))
            details.append({**change, "moved": moved})
    current = price_list_version_current(project=draft.project)
    return {
        "draft": draft, "project": draft.project, "plan": plan, "form": form,
        "created": plan["created"][:PREVIEW_ROWS_SHOWN], "repriced": repriced[:PREVIEW_ROWS_SHOWN],
        "details": details[:PREVIEW_ROWS_SHOWN], "created_count": len(plan["created"]),
        "repriced_count": len(repriced), "details_count": len(details), "rows_shown": PREVIEW_ROWS_SHOWN,
        "is_stale": draft.status == PriceListDraftStatus.PREVIEW and current != draft.base_version,
        "current_version": current, "has_changes": bool(plan["created"] or plan["changed"]),
    }


@staff_required(IMPORT_PRICE_LIST)
def price_list_draft(request, project_id: int, draft_id: int):
    draft = _draft(request, project_id, draft_id)
    form = PriceListConfirmForm(offers=draft.plan["floor_plans"])
    return render(request, "catalogue/price_list_draft.html", _preview_context(draft, form))


@staff_required(IMPORT_PRICE_LIST)
@require_POST
def price_list_confirm(request, project_id: int, draft_id: int):
    draft = _draft(request, project_id, draft_id)
    form = PriceListConfirmForm(request.POST, offers=draft.plan["floor_plans"])
    error, status = None, 400
    if form.is_valid():
        try:
            version = services.price_list_confirm(staff=request.staff, draft_id=draft.pk,
                                                  floor_plans=form.floor_plans(), request=request)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, _(
                "Price list V%(number)s confirmed: %(created)s new units, %(changed)s prices changed, "
                "%(unchanged)s unchanged.") % {"number": version.number, "created": version.created_units,
                                                "changed": version.changed_units,
                                                "unchanged": version.unchanged_units})
            return redirect("catalogue:price_list_versions", project_id=project_id)
    context = _preview_context(draft, form)
    context["confirm_error"] = error
    return render(request, "catalogue/price_list_draft.html", context, status=status)


@staff_required(IMPORT_PRICE_LIST)
@require_POST
def price_list_discard(request, project_id: int, draft_id: int):
    draft = _draft(request, project_id, draft_id)
    try:
        services.price_list_discard(staff=request.staff, draft_id=draft.pk, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The preview of %(file)s was discarded; nothing changed.")
                         % {"file": draft.file_name or _("the price list")})
    return redirect("catalogue:price_list", project_id=project_id)


@staff_required(EXPORT_PRICE_LIST)
def price_list_versions(request, project_id: int):
    project = selectors.project_get(staff=request.staff, project_id=project_id)
    versions = selectors.price_list_version_list(project=project)
    return render(request, "catalogue/price_list_versions.html", {
        "project": project, "versions": versions, "changes_shown": selectors.VERSION_CHANGES_SHOWN,
    })


@staff_required(EXPORT_PRICE_LIST)
def price_list_version(request, project_id: int, number: int):
    project = selectors.project_get(staff=request.staff, project_id=project_id)
    version = selectors.price_list_version_get(project=project, number=number)
    return render(request, "catalogue/price_list_version.html", {"project": project, "version": version})


@staff_required(EXPORT_PRICE_LIST)
def price_list_export(request, project_id: int):
    exported = services.price_list_export(staff=request.staff, project_id=project_id, request=request)
    response = HttpResponse(exported.content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(exported.filename)}"
    return response


# --- presale permits ---

@staff_required(MANAGE_CATALOGUE)
@require_http_methods(["GET", "POST"])
def presale_permits(request, project_id: int):
    project = selectors.project_get(staff=request.staff, project_id=project_id)
    buildings = project.buildings.select_related("presale_permit").order_by("sort_order", "id")
    versions = project.price_list_versions.order_by("-number")
    form = PresalePermitForm(request.POST or None, project=project, buildings=buildings, versions=versions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            version = data["price_list_version"]
            try:
                permit = services.presale_permit_record(
                    staff=request.staff, project_id=project.pk, number=data["number"], issued_on=data["issued_on"],
                    authority=data["authority"], building_ids=[b.pk for b in data["buildings"]],
                    price_list_version_id=version.pk if version else None, request=request,
                )
            except DomainError as exc:
                form_error_add(form, exc)
            else:
                messages.success(request, _("Presale permit %(number)s recorded for %(buildings)s.") % {
                    "number": permit.number, "buildings": "、".join(str(b) for b in data["buildings"])})
                return redirect("catalogue:presale_permits", project_id=project.pk)
        status = 400
    return render(request, "catalogue/presale_permits.html", {
        "project": project, "form": form, "permits": selectors.presale_permit_list(project=project),
    }, status=status)
