"""The grid overview (销控总览): every building of the projects the caller covers, with its units counted by
status, its sell-through (去化率) and a link into its sales control grid. Where managers and admins land.

The counts come from one aggregate query over units grouped by building and status, so the page costs the
same few queries for two buildings or two hundred; the per-building figures are summed in Python.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yunlou.accounts.permissions import VIEW_GRID, VIEW_SALES_FIGURES
from yunlou.accounts.staff import Staff, staff_required
from yunlou.catalogue.models import (
    ON_SALE_STATUSES,
    SOLD_STATUSES,
    STATUS_COLOURS,
    Building,
    Project,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.selectors import project_list, project_queryset


@dataclass
class StatusShare:
    status: str
    label: str
    colour: str
    count: int
    share: float  # of all the building's units, for the width of its part of the bar


@dataclass
class SalesFigures:
    """Units by status and what follows from them; a building's, or a project's summed over its buildings."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UnitStatus.values, 0))
    sold_amount: int = 0  # fen, list prices of subscribed and signed units
    available_amount: int = 0  # fen, list prices of available units (可售货值)

    def add(self, other: "SalesFigures") -> None:
        for status, count in other.counts.items():
            self.counts[status] += count
        self.sold_amount += other.sold_amount
        self.available_amount += other.available_amount

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def released(self) -> int:
        """Units put on sale (推售): available, held, subscribed or signed."""
        return sum(self.counts[status] for status in ON_SALE_STATUSES)

    @property
    def sold(self) -> int:
        return sum(self.counts[status] for status in SOLD_STATUSES)

    @property
    def sell_through(self) -> float | None:
        """去化率 = sold ÷ released; None while nothing is released (a rate of nothing would read as 0%)."""
        return self.sold / self.released if self.released else None

    @property
    def is_sold_out(self) -> bool:
        return self.released > 0 and self.counts[UnitStatus.AVAILABLE] + self.counts[UnitStatus.HELD] == 0

    @property
    def shares(self) -> list[StatusShare]:
        total = self.total
        return [
            StatusShare(status=status.value, label=str(status.label), colour=STATUS_COLOURS[status],
                        count=self.counts[status.value], share=self.counts[status.value] / total if total else 0.0)
            for status in UnitStatus
        ]


@dataclass
class BuildingOverview:
    building: Building
    figures: SalesFigures


@dataclass
class ProjectOverview:
    project: Project
    buildings: list[BuildingOverview]
    figures: SalesFigures


def grid_overview(*, staff: Staff) -> list[ProjectOverview]:
    """The covered projects with their buildings and figures, in three queries however many there are."""
    projects = list(project_list(staff=staff))
    buildings = Building.objects.filter(project__in=[p.pk for p in projects]).order_by("sort_order", "id")
    by_building: dict[int, SalesFigures] = {}
    rows = (
        Unit.objects.filter(building__project__in=project_queryset(staff=staff))
        .values("building_id", "status")
        .annotate(units=Count("id"), amount=Sum("list_price"))
        .order_by()
    )
    for row in rows:
        figures = by_building.setdefault(row["building_id"], SalesFigures())
        figures.counts[row["status"]] += row["units"]
        if row["status"] in SOLD_STATUSES:
            figures.sold_amount += row["amount"] or 0
        elif row["status"] == UnitStatus.AVAILABLE:
            figures.available_amount += row["amount"] or 0

    overview = {project.pk: ProjectOverview(project=project, buildings=[], figures=SalesFigures())
                for project in projects}
    for building in buildings:
        entry = overview[building.project_id]
        figures = by_building.get(building.pk, SalesFigures())
        entry.buildings.append(BuildingOverview(building=building, figures=figures))
        entry.figures.add(figures)
    return list(overview.values())


@staff_required(VIEW_GRID)
@require_GET
def overview(request):
    staff = request.staff
    return render(request, "catalogue/overview.html", {
        "projects": grid_overview(staff=staff),
        # Sales amounts and 货值 only for the roles that need them (manager, admin, finance).
        "show_amounts": staff.can(VIEW_SALES_FIGURES),
        "legend": [(status.value, str(status.label), STATUS_COLOURS[status]) for status in UnitStatus],
    })
