"""Reads for the buyer's pages: published projects only, units on sale only, in a fixed number of queries."""

import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Case, Count, Exists, Max, Min, OuterRef, Q, QuerySet, When
from django.utils.translation import gettext as _

from yunlou.catalogue.models import (
    ON_SALE_STATUSES,
    SOLD_STATUSES,
    Building,
    FloorPlan,
    PanoramaScene,
    PresalePermit,
    PriceListVersion,
    Project,
    ProjectNews,
    ProjectStatus,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.selectors import (
    PUBLIC_UNITS,
    floor_plans_with_availability,
    permits_of,
    project_media,
)
from yunlou.core.cache import local_copies
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
    units = Unit.objects.filter(PUBLIC_UNITS, building__project=OuterRef("pk"))
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


# The project of the page a shared link leads to is read on every view of it; kept for as long as the page.
PROJECT_CACHE_SECONDS = 15


def project_cache_key(project_id: int) -> str:
    return f"showroom:project:{project_id}"


_project_stubs_here = local_copies(seconds=5)


def showroom_project_stub(*, project_id: int) -> Project:
    """A published project as far as deciding a visit needs it — id, organisation and last save, nothing
    else loaded — from the shared cache and each worker's copy: publishing, unpublishing or editing a project
    reaches the pages that use this within PROJECT_CACHE_SECONDS and 5 s. Load the project itself
    (`showroom_project`) to show it."""
    key = project_cache_key(project_id)

    def shared() -> tuple:
        found = cache.get(key)
        if found is None:
            found = _published().filter(pk=project_id).values_list("pk", "organization_id", "updated_at").first()
            found = found or ()
            cache.set(key, found, PROJECT_CACHE_SECONDS)
        return found

    found = _project_stubs_here.get(key, shared)
    if not found:
        raise NotFound(_("No such project."), field="project_id")
    return _project_stub(*found)


def showroom_project_forget(*, project_id: int) -> None:
    key = project_cache_key(project_id)
    cache.delete(key)
    _project_stubs_here.forget(key)


@functools.lru_cache(maxsize=64)
def _project_stub(pk: int, organization_id: int, updated_at) -> Project:
    # One instance per project and save, shared by the requests a worker serves: nothing writes to a stub.
    return Project.from_db(None, ["id", "organization_id", "updated_at"], [pk, organization_id, updated_at])


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
    buildings: list[Building]  # each with `available_count`, `released_count` and its permit
    permits: list[PresalePermit]  # each with `building_list`
    news: list[ProjectNews]


NEWS_ON_PROJECT_PAGE = 3


def buildings_with_availability(project: Project) -> QuerySet[Building]:
    """The project's buildings with their permit and how many units are available / were ever released."""
    return (
        project.buildings.select_related("presale_permit")
        .annotate(
            available_count=Count("units", filter=Q(units__status=UnitStatus.AVAILABLE)),
            released_count=Count("units", filter=Q(units__status__in=ON_SALE_STATUSES)),
            sold_count=Count("units", filter=Q(units__status__in=SOLD_STATUSES)),
            unit_count=Count("units"),
        )
        .order_by("sort_order", "id")
    )


def project_showcase(*, project: Project) -> Showcase:
    """Everything the project page shows, in eight queries however many photos, plans, buildings or units."""
    media = project_media(project=project)
    buildings = list(buildings_with_availability(project))
    return Showcase(
        project=project,
        photos=media.photos,
        videos=media.videos,
        floor_plans=list(floor_plans_with_availability(project)),
        entry_scene=media.panorama_scenes[0] if media.panorama_scenes else None,
        has_site_plan=bool(project.site_plan),
        buildings=buildings,
        permits=permits_of(buildings),
        news=list(project_news(project=project)[:NEWS_ON_PROJECT_PAGE]),
    )


def project_news(*, project: Project) -> QuerySet[ProjectNews]:
    return project.news.filter(is_published=True).order_by("-published_at", "-id")


def showroom_floor_plan(*, project: Project, plan_id: int) -> FloorPlan:
    plan = floor_plans_with_availability(project).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("No such floor plan."), field="plan_id")
    return plan


def showroom_units(*, project: Project, floor_plan_id: int | None = None, building_id: int | None = None,
                   floor_min: int | None = None, floor_max: int | None = None) -> QuerySet[Unit]:
    units = Unit.objects.filter(PUBLIC_UNITS, building__project=project)
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
    unit = showroom_units(project=project).select_related("building__presale_permit").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."), field="unit_id")
    return unit


def showroom_building(*, project: Project, building_id: int) -> Building:
    building = project.buildings.select_related("presale_permit").filter(pk=building_id).first()
    if building is None:
        raise NotFound(_("No such building."), field="building_id")
    return building


class NothingOnSale:
    """Why a building shows no unit a buyer can pick (shown instead of an empty grid)."""

    NO_PERMIT = "no_permit"  # 待取证: no presale permit yet, no prices
    NOT_RELEASED = "not_released"  # 未推售: permit in hand, units not released yet
    SOLD_OUT = "sold_out"  # 已售罄
    TAKEN_FOR_NOW = "taken_for_now"  # every released unit held or sold; held ones may come back


@dataclass
class BuildingCell:
    unit: Unit
    shows_price: bool


@dataclass
class BuildingRow:
    floor: int
    cells: list[BuildingCell | None]


@dataclass
class BuildingBoard:
    """The buyer's view of a building: every floor, every unit in the one vocabulary, and the counts."""

    building: Building
    entrances: list[int]
    positions: list[int]
    rows: list[BuildingRow]
    counts: dict[str, int]
    nothing_on_sale: str | None
    has_permit: bool
    columns: list[tuple[int, int]] = field(default_factory=list)

    @property
    def available(self) -> int:
        return self.counts.get(UnitStatus.AVAILABLE, 0)

    @property
    def entrance_spans(self) -> list[tuple[int, int]]:
        """(entrance, number of its columns), for a header row that names each entrance once."""
        return [(entrance, sum(1 for e, _p in self.columns if e == entrance)) for entrance in self.entrances]


def building_board(*, building: Building) -> BuildingBoard:
    """All units of the building in one query; rows for every floor from the top down, so the floors shown
    are the floors the building has. Prices only on units a buyer may see (on sale, permit in hand)."""
    units = list(
        building.units.only("id", "code", "entrance", "floor", "position", "status", "list_price", "building_id")
        .order_by("-floor", "entrance", "position")
    )
    has_permit = building.presale_permit_id is not None
    columns = sorted({(u.entrance, u.position) for u in units}
                     or {(e, p) for e in range(1, building.entrances + 1)
                         for p in range(1, building.units_per_floor + 1)})
    index = {column: i for i, column in enumerate(columns)}
    top = max([building.floors, *(u.floor for u in units)])
    bottom = min([1, *(u.floor for u in units)])
    by_floor: dict[int, list[BuildingCell | None]] = {f: [None] * len(columns) for f in range(top, bottom - 1, -1)
                                                      if f != 0}
    counts = dict.fromkeys(UnitStatus.values, 0)
    for unit in units:
        counts[unit.status] += 1
        by_floor[unit.floor][index[(unit.entrance, unit.position)]] = BuildingCell(
            unit=unit, shows_price=has_permit and unit.status in ON_SALE_STATUSES)
    released = sum(counts[s] for s in ON_SALE_STATUSES)
    reason = None
    if not counts[UnitStatus.AVAILABLE]:
        if not has_permit:
            reason = NothingOnSale.NO_PERMIT
        elif not released:
            reason = NothingOnSale.NOT_RELEASED
        elif released == sum(counts[s] for s in SOLD_STATUSES) and not counts[UnitStatus.NOT_FOR_SALE]:
            reason = NothingOnSale.SOLD_OUT
        else:
            reason = NothingOnSale.TAKEN_FOR_NOW
    return BuildingBoard(
        building=building, entrances=sorted({e for e, _p in columns}), positions=[p for _e, p in columns],
        rows=[BuildingRow(floor=f, cells=cells) for f, cells in by_floor.items()], counts=counts,
        nothing_on_sale=reason, has_permit=has_permit, columns=columns,
    )


@dataclass
class PricePublication:
    """一房一价公示: every unit of a building with its price and status, under its presale permit."""

    building: Building
    permit: PresalePermit
    units: list[Unit]
    version: PriceListVersion | None  # the price list in force
    filed_version: PriceListVersion | None  # the one filed with the permit


def price_publication(*, project: Project, building_id: int) -> PricePublication:
    building = showroom_building(project=project, building_id=building_id)
    if building.presale_permit is None:
        raise NotFound(_("This building has no presale permit yet, so its prices are not published (待取证)."),
                       field="building_id")
    units = list(building.units.select_related("floor_plan").order_by("entrance", "floor", "position"))
    permit = PresalePermit.objects.select_related("price_list_version").get(pk=building.presale_permit_id)
    return PricePublication(
        building=building, permit=permit, units=units,
        version=PriceListVersion.objects.filter(project=project).order_by("-number").first(),
        filed_version=permit.price_list_version,
    )


