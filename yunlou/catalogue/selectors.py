"""Reads of the catalogue, scoped to who is asking: the public sees published projects only; staff
see their organisation's projects that their role covers."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import (
    ON_SALE_STATUSES,
    SOLD_STATUSES,
    Building,
    FloorPlan,
    PanoramaHotspot,
    PanoramaScene,
    Project,
    ProjectPhoto,
    ProjectVideo,
    Unit,
    UnitStatus,
)
from yunlou.core.errors import NotFound

# Statuses hidden from the public: units the developer holds back (销控) are not advertised.
PUBLIC_UNIT_STATUSES = tuple(ON_SALE_STATUSES)


def project_queryset(*, staff: Staff | None) -> QuerySet[Project]:
    """Projects the caller may read: staff get their organisation's covered projects, others published ones."""
    if staff is None:
        return Project.objects.filter(is_published=True)
    projects = Project.objects.filter(organization=staff.organization)
    if staff.project_ids is not None:
        projects = projects.filter(pk__in=staff.project_ids)
    return projects


def project_list(*, staff: Staff | None, search: str = "") -> QuerySet[Project]:
    projects = project_queryset(staff=staff).select_related("organization")
    if search:
        projects = projects.filter(Q(name__icontains=search) | Q(district__icontains=search))
    return projects.order_by("id")


def project_get(*, staff: Staff | None, project_id: int) -> Project:
    project = project_queryset(staff=staff).filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."), field="project_id")
    return project


@dataclass
class ProjectMedia:
    photos: list[ProjectPhoto]
    videos: list[ProjectVideo]
    panorama_scenes: list[PanoramaScene]


def panorama_tour(*, project: Project) -> list[PanoramaScene]:
    """The VR tour: scenes, entry scene first, each with its hotspots, in two queries."""
    return list(
        project.panorama_scenes.order_by("-is_entry", "sort_order", "id").prefetch_related(
            Prefetch("hotspots", queryset=PanoramaHotspot.objects.select_related("target_scene"))
        )
    )


def project_media(*, project: Project) -> ProjectMedia:
    """Photos, videos and the VR tour in four queries, however many there are."""
    return ProjectMedia(
        photos=list(project.photos.order_by("sort_order", "id")),
        videos=list(project.videos.order_by("sort_order", "id")),
        panorama_scenes=panorama_tour(project=project),
    )


def building_list(*, staff: Staff | None, project_id: int) -> QuerySet[Building]:
    project = project_get(staff=staff, project_id=project_id)
    return project.buildings.order_by("sort_order", "id")


def building_get(*, staff: Staff | None, building_id: int) -> Building:
    building = (
        Building.objects.select_related("project")
        .filter(pk=building_id, project__in=project_queryset(staff=staff))
        .first()
    )
    if building is None:
        raise NotFound(_("No such building."), field="building_id")
    return building


def floor_plans_with_availability(project: Project) -> QuerySet[FloorPlan]:
    """The project's floor plans, each with how many of its units are available now."""
    return project.floor_plans.annotate(
        available_count=Count("units", filter=Q(units__status=UnitStatus.AVAILABLE)),
    ).order_by("sort_order", "id")


def floor_plan_list(*, staff: Staff | None, project_id: int) -> QuerySet[FloorPlan]:
    return floor_plans_with_availability(project_get(staff=staff, project_id=project_id))


@dataclass(frozen=True)
class UnitFilters:
    project_id: int | None = None
    building_id: int | None = None
    floor_plan_id: int | None = None
    status: str | None = None
    price_min: int | None = None  # fen
    price_max: int | None = None
    area_min: Decimal | None = None
    area_max: Decimal | None = None


def unit_list(*, staff: Staff | None, filters: UnitFilters) -> QuerySet[Unit]:
    units = Unit.objects.filter(building__project__in=project_queryset(staff=staff))
    if staff is None:
        units = units.filter(status__in=PUBLIC_UNIT_STATUSES)
    lookups = {
        "building__project_id": filters.project_id,
        "building_id": filters.building_id,
        "floor_plan_id": filters.floor_plan_id,
        "status": filters.status,
        "list_price__gte": filters.price_min,
        "list_price__lte": filters.price_max,
        "area__gte": filters.area_min,
        "area__lte": filters.area_max,
    }
    units = units.filter(**{lookup: value for lookup, value in lookups.items() if value is not None})
    return units.select_related("building", "floor_plan").order_by("building__sort_order", "building_id",
                                                                    "-floor", "position")


# --- the sales control grid (销控表) ---

@dataclass(slots=True)
class GridCell:
    """One unit as the grid shows it: plain values, not a model instance, because a tower has hundreds."""

    id: int
    code: str
    floor: int
    position: int
    floor_plan_id: int | None
    floor_plan_name: str | None
    area: Decimal
    list_price: int
    unit_price: int
    status: str
    is_match: bool = True


@dataclass
class GridRow:
    floor: int
    cells: list[GridCell | None]


@dataclass
class StatusCount:
    status: str
    label: str
    count: int
    share: float  # of all units in the building


@dataclass
class Grid:
    building: Building
    project: Project
    positions: list[int]
    rows: list[GridRow]
    counts: list[StatusCount]
    floor_plans: list[FloorPlan]
    total_units: int
    on_sale_units: int
    sold_units: int
    sell_through: float  # sold ÷ on sale (去化率)
    sold_area: Decimal
    sold_amount: int  # fen
    available_amount: int  # fen
    filters: dict = field(default_factory=dict)


_GRID_COLUMNS = ("id", "code", "floor", "position", "floor_plan_id", "area", "list_price", "unit_price", "status")


def building_grid(
    *, staff: Staff, building_id: int, floor_plan_id: int | None = None, status: str | None = None
) -> Grid:
    """The whole building in three queries, whatever its size: building, floor plans, units."""
    building = building_get(staff=staff, building_id=building_id)
    floor_plans = list(FloorPlan.objects.filter(project_id=building.project_id).order_by("sort_order", "id"))
    plan_names = {plan.pk: plan.name for plan in floor_plans}

    positions = list(range(1, building.units_per_floor + 1))
    by_floor: dict[int, list[GridCell | None]] = {}
    counts = dict.fromkeys(UnitStatus.values, 0)
    sold_area, sold_amount, available_amount = Decimal("0"), 0, 0
    rows = Unit.objects.filter(building=building).order_by("-floor", "position").values_list(*_GRID_COLUMNS)
    for unit_id, code, floor, position, plan_id, area, list_price, unit_price, unit_status in rows:
        counts[unit_status] += 1
        if unit_status in SOLD_STATUSES:
            sold_area += area
            sold_amount += list_price
        elif unit_status == UnitStatus.AVAILABLE:
            available_amount += list_price
        is_match = (floor_plan_id is None or plan_id == floor_plan_id) and (status is None or unit_status == status)
        row = by_floor.setdefault(floor, [None] * len(positions))
        if 1 <= position <= len(positions):
            row[position - 1] = GridCell(
                id=unit_id, code=code, floor=floor, position=position, floor_plan_id=plan_id,
                floor_plan_name=plan_names.get(plan_id), area=area, list_price=list_price, unit_price=unit_price,
                status=unit_status, is_match=is_match,
            )

    total = sum(counts.values())
    on_sale = sum(counts[s] for s in ON_SALE_STATUSES)
    sold = sum(counts[s] for s in SOLD_STATUSES)
    return Grid(
        building=building,
        project=building.project,
        positions=positions,
        rows=[GridRow(floor=floor, cells=cells) for floor, cells in sorted(by_floor.items(), reverse=True)],
        counts=[
            StatusCount(status=s.value, label=str(s.label), count=counts[s.value],
                        share=counts[s.value] / total if total else 0.0)
            for s in UnitStatus
        ],
        floor_plans=floor_plans,
        total_units=total,
        on_sale_units=on_sale,
        sold_units=sold,
        sell_through=sold / on_sale if on_sale else 0.0,
        sold_area=sold_area,
        sold_amount=sold_amount,
        available_amount=available_amount,
        filters={"floor_plan": floor_plan_id, "status": status},
    )
