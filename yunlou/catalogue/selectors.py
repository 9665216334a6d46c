"""Reads of the catalogue, scoped to who is asking: the public sees published projects only; staff
see their organisation's projects that their role covers."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import VIEW_SALES_FIGURES
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import (
    ON_SALE_STATUSES,
    SOLD_STATUSES,
    STATUS_COLOURS,
    Building,
    FloorPlan,
    PanoramaHotspot,
    PanoramaScene,
    PresalePermit,
    PriceListDraft,
    PriceListVersion,
    Project,
    ProjectPhoto,
    ProjectVideo,
    Unit,
    UnitPriceChange,
    UnitStatus,
)
from yunlou.core.errors import NotFound

# Statuses hidden from the public: units the developer holds back (销控) are not advertised.
PUBLIC_UNIT_STATUSES = tuple(ON_SALE_STATUSES)
# What the public may see of units: on sale, in a building with a presale permit (no permit, no prices: 待取证).
PUBLIC_UNITS = Q(status__in=PUBLIC_UNIT_STATUSES, building__presale_permit__isnull=False)


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


def permits_of(buildings) -> list[PresalePermit]:
    """The presale permits of buildings loaded with `select_related("presale_permit")`, oldest first, each
    with `building_list` (a permit often covers several buildings)."""
    permits: dict[int, PresalePermit] = {}
    for building in buildings:
        if building.presale_permit_id is not None:
            permit = permits.setdefault(building.presale_permit_id, building.presale_permit)
            permit.__dict__.setdefault("building_list", []).append(building)
    return sorted(permits.values(), key=lambda p: (p.issued_on, p.pk))


def project_permits(*, project: Project) -> list[PresalePermit]:
    return permits_of(project.buildings.select_related("presale_permit").order_by("sort_order", "id"))


def building_get(*, staff: Staff | None, building_id: int) -> Building:
    building = (
        Building.objects.select_related("project", "presale_permit")
        .filter(pk=building_id, project__in=project_queryset(staff=staff))
        .first()
    )
    if building is None:
        raise NotFound(_("No such building."), field="building_id")
    return building


def floor_plans_with_availability(project: Project) -> QuerySet[FloorPlan]:
    """The project's floor plans, each with how many of its units are available now."""
    return project.floor_plans.annotate(
        available_count=Count("units", filter=Q(units__status=UnitStatus.AVAILABLE,
                                                units__building__presale_permit__isnull=False)),
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
        units = units.filter(PUBLIC_UNITS)
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
#
# Statuses in one vocabulary (UnitStatus labels, STATUS_COLOURS); every floor of the building shown, top down;
# a building with several entrances (单元) shows its columns entrance by entrance. Sales amounts and 货值
# only for the roles that need them (VIEW_SALES_FIGURES); everyone else gets None.


@dataclass(slots=True)
class GridCell:
    """One unit as the grid shows it: plain values, not a model instance, because a tower has hundreds."""

    id: int
    code: str
    entrance: int
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
    cells: list[GridCell | None]  # one per column, entrance by entrance


@dataclass(frozen=True)
class GridColumn:
    entrance: int
    position: int

    @property
    def starts_entrance(self) -> bool:
        return self.position == 1


@dataclass
class StatusCount:
    status: str
    label: str
    colour: str
    count: int
    share: float  # of all units in the building


@dataclass
class Grid:
    building: Building
    project: Project
    entrances: list[int]
    positions: list[int]  # in each entrance
    columns: list[GridColumn]
    floors: int  # floors above ground shown, every one from the top down
    rows: list[GridRow]
    counts: list[StatusCount]
    floor_plans: list[FloorPlan]
    total_units: int
    released_units: int  # 已推售: every unit but those not for sale
    sold_units: int
    sell_through: float  # 去化率: sold ÷ released
    sold_area: Decimal
    sold_amount: int | None  # fen; None for roles that may not see sales figures
    available_amount: int | None  # 可售货值, fen; None likewise
    show_figures: bool
    filters: dict = field(default_factory=dict)


_GRID_COLUMNS = ("id", "code", "entrance", "floor", "position", "floor_plan_id", "area", "list_price", "unit_price",
                 "status")


def building_grid(
    *, staff: Staff, building_id: int, floor_plan_id: int | None = None, status: str | None = None
) -> Grid:
    """The whole building in three queries, whatever its size: building, floor plans, units."""
    building = building_get(staff=staff, building_id=building_id)
    floor_plans = list(FloorPlan.objects.filter(project_id=building.project_id).order_by("sort_order", "id"))
    plan_names = {plan.pk: plan.name for plan in floor_plans}

    per_entrance = building.units_per_floor
    entrances = list(range(1, building.entrances + 1))
    width = per_entrance * len(entrances)
    by_floor: dict[int, list[GridCell | None]] = {}
    counts = dict.fromkeys(UnitStatus.values, 0)
    sold_area, sold_amount, available_amount = Decimal("0"), 0, 0
    rows = Unit.objects.filter(building=building).values_list(*_GRID_COLUMNS)
    for unit_id, code, entrance, floor, position, plan_id, area, list_price, unit_price, unit_status in rows:
        counts[unit_status] += 1
        if unit_status in SOLD_STATUSES:
            sold_area += area
            sold_amount += list_price
        elif unit_status == UnitStatus.AVAILABLE:
            available_amount += list_price
        if not (1 <= position <= per_entrance and 1 <= entrance <= len(entrances)):
            continue  # counted, but it has no place on this building's grid
        is_match = (floor_plan_id is None or plan_id == floor_plan_id) and (status is None or unit_status == status)
        cells = by_floor.get(floor)
        if cells is None:
            cells = by_floor[floor] = [None] * width
        cells[(entrance - 1) * per_entrance + position - 1] = GridCell(
            id=unit_id, code=code, entrance=entrance, floor=floor, position=position, floor_plan_id=plan_id,
            floor_plan_name=plan_names.get(plan_id), area=area, list_price=list_price, unit_price=unit_price,
            status=unit_status, is_match=is_match,
        )

    # Every floor from the top down, empty ones too, so that the floors stated are the floors shown; a
    # basement floor appears only when it has units.
    top = max([building.floors, *by_floor])
    floors = [floor for floor in range(top, 0, -1)] + sorted((f for f in by_floor if f < 1), reverse=True)
    total = sum(counts.values())
    released = sum(counts[s] for s in ON_SALE_STATUSES)
    sold = sum(counts[s] for s in SOLD_STATUSES)
    show_figures = staff.can(VIEW_SALES_FIGURES)
    return Grid(
        building=building,
        project=building.project,
        entrances=entrances,
        positions=list(range(1, per_entrance + 1)),
        columns=[GridColumn(entrance=e, position=p) for e in entrances for p in range(1, per_entrance + 1)],
        floors=top,
        rows=[GridRow(floor=floor, cells=by_floor.get(floor) or [None] * width) for floor in floors],
        counts=[
            StatusCount(status=s.value, label=str(s.label), colour=STATUS_COLOURS[s.value], count=counts[s.value],
                        share=counts[s.value] / total if total else 0.0)
            for s in UnitStatus
        ],
        floor_plans=floor_plans,
        total_units=total,
        released_units=released,
        sold_units=sold,
        sell_through=sold / released if released else 0.0,
        sold_area=sold_area,
        sold_amount=sold_amount if show_figures else None,
        available_amount=available_amount if show_figures else None,
        show_figures=show_figures,
        filters={"floor_plan": floor_plan_id, "status": status},
    )


def unit_price_history(*, unit_id: int) -> list[UnitPriceChange]:
    """A unit's prices, newest version first, with who confirmed each and the change against the old price
    (`difference_share`): one query however long the history."""
    changes = list(
        UnitPriceChange.objects.filter(unit_id=unit_id)
        .select_related("version__created_by")
        .order_by("-version__number")
    )
    return _with_shares(changes)


def _with_shares(changes: list[UnitPriceChange]) -> list[UnitPriceChange]:
    for change in changes:
        change.difference_share = change.difference / change.old_list_price if change.old_list_price else None
    return changes


# --- price-list versions and drafts (调价记录) ---

VERSION_CHANGES_SHOWN = 200


def price_list_draft_get(*, staff: Staff, draft_id: int) -> PriceListDraft:
    draft = (
        PriceListDraft.objects.select_related("project", "uploaded_by", "version")
        .filter(pk=draft_id, project__in=project_queryset(staff=staff))
        .first()
    )
    if draft is None:
        raise NotFound(_("No such price list preview."), field="draft")
    return draft


def price_list_version_list(*, project: Project) -> list[PriceListVersion]:
    """The project's versions, newest first, each with its first changes: three queries."""
    changes = (
        UnitPriceChange.objects.select_related("unit")
        .order_by("unit__building_id", "unit__entrance", "-unit__floor", "unit__position")
    )
    versions = list(
        project.price_list_versions.select_related("created_by")
        .prefetch_related(Prefetch("changes", queryset=changes[:VERSION_CHANGES_SHOWN], to_attr="first_changes"))
        .order_by("-number")
    )
    for version in versions:
        _with_shares(version.first_changes)
    return versions


def price_list_version_get(*, project: Project, number: int) -> PriceListVersion:
    version = project.price_list_versions.select_related("created_by").filter(number=number).first()
    if version is None:
        raise NotFound(_("No such price list version."), field="number")
    version.all_changes = _with_shares(list(
        version.changes.select_related("unit")
        .order_by("unit__building_id", "unit__entrance", "-unit__floor", "unit__position")
    ))
    return version


def presale_permit_list(*, project: Project) -> list[PresalePermit]:
    """The project's permits, newest first, with their buildings and filed price list: two queries."""
    return list(
        project.presale_permits.select_related("price_list_version")
        .prefetch_related(Prefetch("buildings", queryset=Building.objects.order_by("sort_order", "id")))
        .order_by("-issued_on", "-id")
    )
