from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.security import django_auth

from yunlou.accounts.permissions import VIEW_GRID
from yunlou.accounts.staff import request_staff
from yunlou.catalogue import selectors
from yunlou.catalogue.schemas import (
    BuildingOut,
    FloorPlanOut,
    GridOut,
    NewsOut,
    ProjectDetailOut,
    ProjectFactsOut,
    ProjectOut,
    UnitOut,
    UnitQuery,
    UnitStatusValue,
    media_url,
    renditions_out,
)
from yunlou.core.errors import Forbidden
from yunlou.core.images import renditions_of_many
from yunlou.core.schemas import ErrorOut, FreeText, Id, Page

router = Router(tags=["catalogue"])


@router.get("/projects", response=list[ProjectOut], summary="Projects (published ones for the public)")
@paginate(Page)
def project_list(request: HttpRequest, q: FreeText = Query("", max_length=50)):
    projects = selectors.project_list(staff=request_staff(request), search=q)
    return [ProjectOut.from_project(request, p) for p in projects]


@router.get("/projects/{project_id}", response={200: ProjectDetailOut, 404: ErrorOut},
            summary="A project with its photos, videos, VR scenes and mortgage defaults")
def project_detail(request: HttpRequest, project_id: Id):
    project = selectors.project_get(staff=request_staff(request), project_id=project_id)
    media = selectors.project_media(project=project)
    renditions = renditions_of_many([project.cover, *(p.image for p in media.photos)])  # one query for all
    return {
        **ProjectOut.from_project(request, project),
        "description": project.description,
        "highlights": project.highlights,
        "site_plan": media_url(request, project.site_plan),
        "cover_renditions": renditions_out(request, project.cover, renditions),
        "photos": [
            {"id": p.pk, "url": media_url(request, p.image), "caption": p.caption, "category": p.category,
             "width": p.width, "height": p.height, "renditions": renditions_out(request, p.image, renditions)}
            for p in media.photos
        ],
        "videos": [
            {"id": v.pk, "title": v.title, "url": media_url(request, v.file), "poster": media_url(request, v.poster),
             "duration_seconds": v.duration_seconds} for v in media.videos
        ],
        "panorama_scenes": [
            {"key": s.key, "title": s.title, "url": media_url(request, s.image), "initial_yaw": s.initial_yaw,
             "initial_pitch": s.initial_pitch, "is_entry": s.is_entry,
             "hotspots": [{"yaw": h.yaw, "pitch": h.pitch, "text": h.text, "target_scene": h.target_scene.key}
                          for h in s.hotspots.all()]}
            for s in media.panorama_scenes
        ],
        "mortgage": {"lpr_five_year": project.lpr_five_year, "commercial_rate": project.commercial_rate,
                     "provident_fund_rate": project.provident_fund_rate,
                     "default_down_payment_percent": project.default_down_payment_percent},
        "facts": ProjectFactsOut.from_project(project, selectors.project_permits(project=project)),
    }


@router.get("/projects/{project_id}/news", response={200: list[NewsOut], 404: ErrorOut},
            summary="楼盘动态: the project's news, newest first")
@paginate(Page)
def project_news(request: HttpRequest, project_id: Id):
    project = selectors.project_get(staff=request_staff(request), project_id=project_id)
    return project.news.filter(is_published=True).order_by("-published_at", "-id")


@router.get("/projects/{project_id}/buildings", response={200: list[BuildingOut], 404: ErrorOut})
def building_list(request: HttpRequest, project_id: Id):
    return selectors.building_list(staff=request_staff(request), project_id=project_id).select_related(
        "presale_permit")


@router.get("/projects/{project_id}/floor-plans", response={200: list[FloorPlanOut], 404: ErrorOut},
            summary="Floor plans with how many of their units are available now")
def floor_plan_list(request: HttpRequest, project_id: Id):
    return selectors.floor_plan_list(staff=request_staff(request), project_id=project_id)


@router.get("/buildings/{building_id}", response={200: BuildingOut, 404: ErrorOut})
def building_detail(request: HttpRequest, building_id: Id):
    return selectors.building_get(staff=request_staff(request), building_id=building_id)


@router.get("/units", response=list[UnitOut], summary="Units, filtered; the public sees units on sale only")
@paginate(Page)
def unit_list(request: HttpRequest, filters: Query[UnitQuery]):
    return selectors.unit_list(staff=request_staff(request), filters=selectors.UnitFilters(**filters.dict()))


@router.get(
    "/buildings/{building_id}/grid",
    response={200: GridOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=django_auth,
    summary="Sales control grid (销控表) of a building; staff only",
)
def building_grid(request: HttpRequest, building_id: Id, floor_plan_id: Id | None = None,
                  status: UnitStatusValue | None = None):
    staff = request_staff(request)
    if staff is None or not staff.can(VIEW_GRID):
        raise Forbidden(_("Only staff of this organisation may see the sales control grid."))
    grid = selectors.building_grid(staff=staff, building_id=building_id, floor_plan_id=floor_plan_id, status=status)
    return {
        **{name: getattr(grid, name) for name in (
            "floors", "entrances", "positions", "columns", "counts", "total_units", "released_units", "sold_units",
            "sell_through", "sold_area", "sold_amount", "available_amount")},
        "building": grid.building,
        "project_id": grid.project.pk,
        "rows": grid.rows,
    }
