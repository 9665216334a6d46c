from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from yunlou.accounts.permissions import CHANGE_UNIT_STATUS, MANAGE_CATALOGUE
from yunlou.accounts.staff import Staff
from yunlou.catalogue.models import (
    MANUAL_UNIT_TRANSITIONS,
    ON_SALE_STATUSES,
    UNIT_TRANSITIONS,
    Building,
    FloorPlan,
    Unit,
    UnitStatus,
)
from yunlou.catalogue.services.price_versions import price_list_version_record
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


def unit_transition(*, unit: Unit, to_status: str, allowed: Mapping[str, Iterable[str]] = UNIT_TRANSITIONS) -> str:
    """Move a unit to `to_status` if the lifecycle allows it from the status it has *in the database*.

    The conditional UPDATE is the guarantee: two callers racing for the same unit cannot both win,
    because only one UPDATE finds the old status still there. Returns the previous status.
    """
    from_status = unit.status
    if from_status == UnitStatus.NOT_FOR_SALE and to_status in ON_SALE_STATUSES and not _has_permit(unit):
        raise Conflict(
            _("%(code)s cannot go on sale: its building has no presale permit recorded (待取证).")
            % {"code": unit.code}, field="status", code="no_presale_permit",
        )
    if to_status not in allowed.get(from_status, ()):
        raise Conflict(
            _("A unit cannot go from “%(from)s” to “%(to)s”.")
            % {"from": UnitStatus(from_status).label, "to": UnitStatus(to_status).label},
            field="status", code="invalid_transition",
        )
    now = timezone.now()
    changed = Unit.objects.filter(pk=unit.pk, status=from_status).update(status=to_status, status_changed_at=now)
    if changed != 1:
        raise Conflict(_("Unit %(code)s changed meanwhile; reload and try again.") % {"code": unit.code},
                       code="stale_status")
    unit.status, unit.status_changed_at = to_status, now
    return from_status


def _has_permit(unit: Unit) -> bool:
    # Read from the database, not the cached building: the permit may have been recorded a moment ago.
    return Building.objects.filter(pk=unit.building_id, presale_permit__isnull=False).exists()


@transaction.atomic
def unit_status_change(
    *, staff: Staff, unit_id: int, to_status: str, note: str = "", request: HttpRequest | None = None
) -> Unit:
    """销控: a manager takes a unit off sale or puts it back, with the change audited."""
    if not staff.can(CHANGE_UNIT_STATUS):
        raise Forbidden(_("Your role may not change unit status."))
    if to_status not in UnitStatus.values:
        raise ValidationFailed(_("Unknown status."), field="status")
    unit = (
        Unit.objects.select_for_update(of=("self",))
        .select_related("building__project")
        .filter(pk=unit_id, building__project__organization=staff.organization)
        .first()
    )
    if unit is None or not staff.covers(unit.building.project):
        raise NotFound(_("No such unit."), field="unit")
    from_status = unit_transition(unit=unit, to_status=to_status, allowed=MANUAL_UNIT_TRANSITIONS)
    audit_record(
        action="unit.status_change", target=unit, actor=staff.user, project=unit.building.project,
        changes={"status": [from_status, to_status]}, note=note[:500], request=request,
    )
    return unit


@transaction.atomic
def building_generate_units(
    *,
    staff: Staff | None,
    building: Building,
    floor_plans_by_position: Mapping[int, FloorPlan],
    price_per_sqm: int,
    floor_premium_per_sqm: int = 0,
    first_floor: int = 1,
    status: str = UnitStatus.NOT_FOR_SALE,
    entrances: Mapping[int, Mapping[int, FloorPlan]] | None = None,
) -> list[Unit]:
    """Create every unit of a building: floors × positions, each position with its floor plan.

    Prices follow the usual 一房一价 starting point — a base price per m² plus a premium per floor —
    and are then adjusted unit by unit through the price list import; they are recorded as a price list
    version. A building with several entrances (单元) takes `entrances`: each entrance's floor plans by
    position. `staff` is None only for the demo seed and tests acting as the system.
    """
    if staff is not None and (not staff.can(MANAGE_CATALOGUE) or not staff.covers(building.project)):
        raise Forbidden(_("Your role may not change this project's catalogue."))
    layout = dict(entrances) if entrances else {1: floor_plans_by_position}
    if sorted(layout) != list(range(1, building.entrances + 1)):
        raise ValidationFailed(_("Give the floor plans of each of the building's %(count)s entrances.")
                               % {"count": building.entrances}, field="floor_plans")
    for plans in layout.values():
        missing = [p for p in range(1, building.units_per_floor + 1) if p not in plans]
        if missing:
            raise ValidationFailed(
                _("Choose a floor plan for positions %(positions)s.") % {"positions": ", ".join(map(str, missing))},
                field="floor_plans",
            )
        if any(plan.project_id != building.project_id for plan in plans.values()):
            raise ValidationFailed(_("Floor plans must belong to the building's project."), field="floor_plans")
    if price_per_sqm <= 0 or floor_premium_per_sqm < 0:
        raise ValidationFailed(_("Prices must be positive."), field="price_per_sqm")
    if building.units.exists():
        raise Conflict(_("%(building)s already has units.") % {"building": building}, field="building")

    units = []
    for entrance, plans in sorted(layout.items()):
        for floor in range(first_floor, first_floor + building.floors):
            for position, plan in sorted(plans.items()):
                unit_price = price_per_sqm + floor_premium_per_sqm * (floor - first_floor)
                list_price = int((Decimal(unit_price) * Decimal(plan.gross_area) / 10_000).quantize(Decimal("1")))
                list_price *= 10_000
                units.append(Unit(
                    building=building, entrance=entrance, floor=floor, position=position,
                    code=building.unit_code(floor, position, entrance), floor_plan=plan, area=Decimal(plan.gross_area),
                    list_price=list_price, unit_price=Unit.price_per_sqm(list_price, Decimal(plan.gross_area)),
                    status=status,
                ))
    created = Unit.objects.bulk_create(units, batch_size=500)
    price_list_version_record(project=building.project, actor=staff.user if staff else None, created=created,
                              note=_("Prices generated for %(building)s") % {"building": building})
    audit_record(
        action="building.generate_units", target=building, actor=staff.user if staff else None,
        project=building.project, changes={"units": len(created)},
    )
    return created
