"""Reads of the online launch (开盘) for the staff pages and the public lottery page, scoped to the caller.

Setting a launch up is for managers (MANAGE_LAUNCH, checked by `launch_get_for_staff`); its board — sold units,
sell-through, the grid of offered units — is also for finance, who watch the money come in. Sales amounts are
shown only to roles with VIEW_SALES_FIGURES. The public lottery page reads only what the lottery publishes:
pledge numbers, digests, the seed once revealed, the order — never a name, phone or ID number.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import MANAGE_LAUNCH, RECORD_PAYMENTS, VIEW_SALES_FIGURES
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import SOLD_STATUSES, Building, Unit, UnitStatus
from yunlou.catalogue.selectors import project_get
from yunlou.core.errors import Forbidden, NotFound
from yunlou.launch import lottery
from yunlou.launch.models import ACTIVE_ORDER_STATUSES, Launch, LaunchUnit, Order, OrderStatus, Pledge, PledgeStatus
from yunlou.launch.services.launches import launch_get_for_staff, launch_published_order
from yunlou.payments.models import Payment

PLEDGES_PER_PAGE = 50
ORDERS_PER_PAGE = 50


# --- launches of a project ---

def launch_list(*, staff: Staff, project_id: int):
    """The project (404 outside the caller's projects) and its launches, newest first, with their counts."""
    project = project_get(staff=staff, project_id=project_id)
    if not staff.can(MANAGE_LAUNCH):
        raise Forbidden(_("Only managers set up launches."))
    launches = (Launch.objects.filter(project=project)
                .annotate(offered=Count("launch_units", filter=Q(launch_units__is_reserved=False), distinct=True),
                          eligible=Count("entries", distinct=True)))
    return project, launches


def launch_get(*, staff: Staff, launch_id: int) -> Launch:
    return launch_get_for_staff(staff=staff, launch_id=launch_id)


def launch_get_for_payments(*, staff: Staff, launch_id: int) -> Launch:
    """The launch for its payments page (收款): finance (and organisation admins) of the project."""
    launch = Launch.objects.select_related("project").filter(pk=launch_id).first()
    if launch is None or not staff.covers(launch.project):
        raise NotFound(_("No such launch."), field="launch_id")
    if not staff.can(RECORD_PAYMENTS):
        raise Forbidden(_("Only finance may record or refund payments."))
    return launch


def deposit_awaiting_orders(*, launch: Launch) -> list[Order]:
    """The launch's real orders still held with no deposit in: what a counter payment can be for."""
    return list(Order.objects.filter(launch=launch, is_rehearsal=False, status=OrderStatus.HELD,
                                     deposit_paid_at__isnull=True, held_until__gt=timezone.now())
                .select_related("unit", "pledge").order_by("held_until"))


def launch_payments(*, launch: Launch) -> list[Payment]:
    """Every payment for the launch's orders (deposits, online and at the counter), newest first."""
    references = [f"order:{pk}" for pk in launch.orders.filter(is_rehearsal=False).values_list("pk", flat=True)]
    return list(Payment.objects.filter(organization_id=launch.project.organization_id, reference__in=references)
                .select_related("recorded_by").order_by("-created_at"))


def launch_get_for_board(*, staff: Staff, launch_id: int) -> Launch:
    """The launch for its board and big screen: managers and finance of the project."""
    launch = Launch.objects.select_related("project").filter(pk=launch_id).first()
    if launch is None or not staff.covers(launch.project):
        raise NotFound(_("No such launch."), field="launch_id")
    if not (staff.can(MANAGE_LAUNCH) or staff.can(VIEW_SALES_FIGURES)):
        raise Forbidden(_("Only managers and finance see the launch board."))
    return launch


@dataclass
class UnitChoice:
    id: int
    code: str
    status: str
    status_label: str
    list_price: int
    can_offer: bool


@dataclass
class BuildingChoices:
    building: Building
    units: list[UnitChoice]


def launch_unit_choices(*, project) -> list[BuildingChoices]:
    """Units a launch may offer or reserve, by building: only buildings with a presale permit (the law's gate);
    available units can be offered, units not for sale only reserved."""
    buildings = {b.pk: b for b in project.buildings.filter(presale_permit__isnull=False)
                 .order_by("sort_order", "id")}
    rows = (Unit.objects.filter(building_id__in=buildings, status__in=[UnitStatus.AVAILABLE, UnitStatus.NOT_FOR_SALE])
            .order_by("building__sort_order", "building_id", "entrance", "-floor", "position")
            .values_list("id", "building_id", "code", "status", "list_price"))
    grouped: dict[int, list[UnitChoice]] = {}
    labels = {status.value: str(status.label) for status in UnitStatus}
    for unit_id, building_id, code, status, list_price in rows:
        grouped.setdefault(building_id, []).append(UnitChoice(
            id=unit_id, code=code, status=status, status_label=labels[status], list_price=list_price,
            can_offer=status == UnitStatus.AVAILABLE))
    return [BuildingChoices(building=buildings[pk], units=grouped[pk]) for pk in buildings if pk in grouped]


# --- pledges and lottery facts on the launch page ---

def pledge_page(*, launch: Launch, page_number) -> Page:
    """The pledges a frozen list took (with their places once drawn), or before freezing every pledge of the
    project, a page at a time; each item is (place or None, pledge) and the page shows them masked."""
    if launch.list_frozen_at:
        entries = launch.entries.select_related("pledge").order_by("place", "pledge__number")
        page = Paginator(entries, PLEDGES_PER_PAGE).get_page(page_number)
        page.object_list = [(entry.place, entry.pledge) for entry in page.object_list]
    else:
        pledges = Pledge.objects.filter(project_id=launch.project_id).order_by("number")
        page = Paginator(pledges, PLEDGES_PER_PAGE).get_page(page_number)
        page.object_list = [(None, pledge) for pledge in page.object_list]
    return page


def pledge_counts(*, launch: Launch) -> dict[str, int]:
    counts = dict(Pledge.objects.filter(project_id=launch.project_id).values_list("status")
                  .annotate(n=Count("id")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in PledgeStatus.values}


# --- orders ---

@dataclass
class OrderFilters:
    status: str = ""
    building_id: int | None = None
    rehearsal: str = ""  # "", "real" or "rehearsal"
    pledge_number: str = ""


def order_list(*, launch: Launch, filters: OrderFilters) -> QuerySet[Order]:
    orders = (Order.objects.filter(launch=launch)
              .select_related("unit", "unit__building", "pledge").order_by("-held_at", "-id"))
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.building_id:
        orders = orders.filter(unit__building_id=filters.building_id)
    if filters.rehearsal == "real":
        orders = orders.filter(is_rehearsal=False)
    elif filters.rehearsal == "rehearsal":
        orders = orders.filter(is_rehearsal=True)
    if filters.pledge_number:
        orders = orders.filter(pledge__number__icontains=filters.pledge_number)
    return orders


def order_page(*, launch: Launch, filters: OrderFilters, page_number) -> Page:
    return Paginator(order_list(launch=launch, filters=filters), ORDERS_PER_PAGE).get_page(page_number)


def launch_buildings(*, launch: Launch) -> list[Building]:
    return list(Building.objects.filter(units__launch_units__launch=launch).distinct().order_by("sort_order", "id"))


# --- the board (电视墙) ---

@dataclass(slots=True)
class BoardCell:
    unit_id: int
    code: str
    status: str
    label: str
    price: int  # the active order's price when there is one, else the unit's list price (fen)


@dataclass
class BoardBuilding:
    building: Building
    positions: list[int]
    rows: list[tuple[int, list[BoardCell | None]]]  # (floor, one cell or None per position), top floor first


@dataclass
class Board:
    launch: Launch
    buildings: list[BoardBuilding]
    counts: list[dict]  # legend: status, label, count
    offered: int
    sold: int
    held: int
    sold_amount: int | None  # None for roles without VIEW_SALES_FIGURES
    reserved: int
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def sell_through(self) -> float:
        return self.sold / self.offered if self.offered else 0.0


def launch_board(*, launch: Launch, show_amounts: bool) -> Board:
    """The offered units (reserved ones are never offered and not counted) in one query, by building, floor and
    position. Sold = subscribed or signed, as the sales grid counts it; the figures the page prints are the same
    ones its script recounts from the cells when a unit changes."""
    labels = {status.value: str(status.label) for status in UnitStatus}
    rows = (LaunchUnit.objects.filter(launch=launch)
            .values_list("is_reserved", "unit_id", "unit__code", "unit__status", "unit__list_price",
                         "unit__building_id", "unit__entrance", "unit__floor", "unit__position"))
    prices = dict(Order.objects.filter(launch=launch, is_rehearsal=False, status__in=ACTIVE_ORDER_STATUSES)
                  .values_list("unit_id", "price"))
    counts = dict.fromkeys(UnitStatus.values, 0)
    placed: dict[int, dict[tuple[int, int], BoardCell]] = {}
    reserved = 0
    for is_reserved, unit_id, code, status, list_price, building_id, entrance, floor, position in rows:
        if is_reserved:
            reserved += 1
            continue
        counts[status] += 1
        cell = BoardCell(unit_id=unit_id, code=code, status=status, label=labels[status],
                         price=prices.get(unit_id, list_price))
        placed.setdefault(building_id, {})[(floor, (entrance, position))] = cell
    buildings = Building.objects.filter(pk__in=placed).order_by("sort_order", "id")
    board_buildings = []
    for building in buildings:
        cells = placed[building.pk]
        columns = sorted({column for _floor, column in cells})
        floors = sorted({floor for floor, _column in cells}, reverse=True)
        board_buildings.append(BoardBuilding(
            building=building, positions=[position for _entrance, position in columns],
            rows=[(floor, [cells.get((floor, column)) for column in columns]) for floor in floors]))
    sold_cells = [cell for b in placed.values() for cell in b.values() if cell.status in SOLD_STATUSES]
    return Board(
        launch=launch, buildings=board_buildings,
        counts=[{"status": s.value, "label": str(s.label), "count": counts[s.value]} for s in UnitStatus
                if s != UnitStatus.NOT_FOR_SALE or counts[s.value]],
        offered=sum(counts.values()), sold=len(sold_cells), held=counts[UnitStatus.HELD],
        sold_amount=sum(cell.price for cell in sold_cells) if show_amounts else None,
        reserved=reserved, labels=labels,
    )


# --- the public lottery page ---

@dataclass
class PublicLottery:
    launch: Launch
    numbers: list[str]  # the frozen eligible list, sorted by code point (the canonical order)
    order: list[str]  # place 1 first; empty before the draw
    is_drawn: bool
    is_drawn_here: bool  # drawn by Yunlou with a revealed seed (an imported order has no seed to check)

    @property
    def seed(self) -> str:
        return self.launch.seed if self.is_drawn_here else ""

    def published(self) -> lottery.Published:
        return lottery.Published(pledge_numbers=self.numbers, seed=self.seed, public_value=self.launch.public_value,
                                 list_digest=self.launch.list_digest, seed_commitment=self.launch.seed_commitment,
                                 order=self.order)


def public_lottery(*, launch_id: int) -> PublicLottery:
    """What anyone may read about a launch's lottery once its list is frozen; 404 before, or when the project is
    not published."""
    launch = (Launch.objects.select_related("project")
              .filter(pk=launch_id, project__is_published=True, list_frozen_at__isnull=False).first())
    if launch is None:
        raise NotFound(_("No such lottery."), field="launch_id")
    numbers = sorted(launch.entries.values_list("pledge__number", flat=True))
    is_drawn = launch.drawn_at is not None
    return PublicLottery(launch=launch, numbers=numbers,
                         order=launch_published_order(launch=launch) if is_drawn else [],
                         is_drawn=is_drawn, is_drawn_here=is_drawn and bool(launch.public_value))

