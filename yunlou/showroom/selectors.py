"""Reads for the buyer's pages: published projects only, units on sale only, in a fixed number of queries."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Exists, Max, Min, OuterRef, Q, QuerySet, When
from django.utils.translation import gettext as _

from yunlou.catalogue.models import (
    Building,
    FloorPlan,
    PanoramaScene,
    Project,
    ProjectStatus,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.selectors import (
    PUBLIC_UNIT_STATUSES,
    floor_plans_with_availability,
    project_media,
)
from yunlou.core.errors import NotFound

WAN = 1_000_000  # fen in 1万元

# Filter buckets as buyers think of them: total price in 万, area in m², bedrooms.
PRICE_BUCKETS = {"lt300": (None, 300 * WAN), "300to500": (300 * WAN, 500 * WAN), "gt500": (500 * WAN, None)}
AREA_BUCKETS = {"lt90": (None, Decimal(90)), "90to120": (Decimal(90), Decimal(120)), "gt120": (Decimal(120), None)}
ROOM_CHOICES = {"2": (2, 2), "3": (3, 3), "4": (4, 99)}


def _published() -> QuerySet[Project]:
    return Project.objects.filter(is_published=True)


def showroom_project_list(*, search: str = "", price: str = "", rooms: str = "", area: str = "") -> QuerySet[Project]:
    projects = _published()
    if search:
        projects = projects.filter(Q(name__icontains=search) | Q(district__icontains=search))
    units = Unit.objects.filter(building__project=OuterRef("pk"), status__in=PUBLIC_UNIT_STATUSES)
    if price in PRICE_BUCKETS:
        low, high = PRICE_BUCKETS[price]
        units = units.filter(**({"list_price__gte": low} if low else {}), **({"list_price__lt": high} if high else {}))
    if area in AREA_BUCKETS:
        low, high = AREA_BUCKETS[area]
        units = units.filter(**({"area__gte": low} if low else {}), **({"area__lt": high} if high else {}))
    if rooms in ROOM_CHOICES:
        low, high = ROOM_CHOICES[rooms]
        units = units.filter(floor_plan__rooms__gte=low, floor_plan__rooms__lte=high)
    if price or area or rooms:
        projects = projects.filter(Exists(units))
    # What a buyer can buy now first, then what is coming, then what is sold out.
    sale_order = Case(When(status=ProjectStatus.ON_SALE, then=0), When(status=ProjectStatus.UPCOMING, then=1),
                      default=2)
    return projects.annotate(
        area_min=Min("floor_plans__gross_area"), area_max=Max("floor_plans__gross_area"),
        rooms_min=Min("floor_plans__rooms"), rooms_max=Max("floor_plans__rooms"),
    ).order_by(sale_order, "id")


def showroom_project(*, project_id: int) -> Project:
    project = _published().select_related("organization").filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."), field="project_id")
    return project


@dataclass
class Showcase:
    project: Project
    photos: list
    videos: list
    floor_plans: list[FloorPlan]  # each with `available_count`
    entry_scene: PanoramaScene | None
    has_site_plan: bool


def project_showcase(*, project_id: int) -> Showcase:
    """Everything the project page shows, in six queries however many photos, plans or units there are."""
    project = showroom_project(project_id=project_id)
    media = project_media(project=project)
    return Showcase(
        project=project,
        photos=media.photos,
        videos=media.videos,
        floor_plans=list(floor_plans_with_availability(project)),
        entry_scene=media.panorama_scenes[0] if media.panorama_scenes else None,
        has_site_plan=bool(project.site_plan),
    )


def showroom_floor_plan(*, project: Project, plan_id: int) -> FloorPlan:
    plan = floor_plans_with_availability(project).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("No such floor plan."), field="plan_id")
    return plan


def showroom_units(*, project: Project, floor_plan_id: int | None = None, building_id: int | None = None,
                   floor_min: int | None = None, floor_max: int | None = None) -> QuerySet[Unit]:
    units = Unit.objects.filter(building__project=project, status__in=PUBLIC_UNIT_STATUSES)
    lookups = {"floor_plan_id": floor_plan_id, "building_id": building_id, "floor__gte": floor_min,
               "floor__lte": floor_max}
    units = units.filter(**{k: v for k, v in lookups.items() if v is not None})
    return units.select_related("building", "floor_plan").order_by("building__sort_order", "building_id", "floor",
                                                                    "position")


def availability_list(*, project: Project, floor_plan_id: int, floor_min: int | None = None,
                      floor_max: int | None = None, available_only: bool = False) -> QuerySet[Unit]:
    """The live unit list of a floor plan, polled by every open page: only the columns the list shows."""
    units = showroom_units(project=project, floor_plan_id=floor_plan_id, floor_min=floor_min, floor_max=floor_max)
    if available_only:
        units = units.filter(status=UnitStatus.AVAILABLE)
    return units.select_related(None).select_related("building").only(
        "id", "code", "status", "list_price", "floor", "position", "building__id", "building__name",
        "building__number", "building__sort_order",
    )


def showroom_unit(*, project: Project, unit_id: int) -> Unit:
    unit = showroom_units(project=project).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."), field="unit_id")
    return unit


def showroom_building(*, project: Project, building_id: int) -> Building:
    building = project.buildings.filter(pk=building_id).first()
    if building is None:
        raise NotFound(_("No such building."), field="building_id")
    return building


