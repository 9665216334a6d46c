"""What a launch's grid shows of each offered unit: its status, as buyers may see it (reserved units never)."""

from collections.abc import Iterable

from yunlou.catalogue.models import UnitStatus
from yunlou.launch.models import ACTIVE_ORDER_STATUSES, LaunchUnit, Order


def launch_unit_statuses(*, launch_id: int, rehearsal: bool = False,
                         unit_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{unit id: status} of the launch's offered units (all, or those of `unit_ids`).

    In the rehearsal (公测) a unit's status is its rehearsal order's (held, subscribed, signed) while the launch
    unit is rehearsal-held, else available: rehearsal claims never touch the unit itself.
    """
    offered = LaunchUnit.objects.filter(launch_id=launch_id, is_reserved=False)
    if unit_ids is not None:
        offered = offered.filter(unit_id__in=list(unit_ids))
    if not rehearsal:
        return dict(offered.values_list("unit_id", "unit__status"))
    held = dict(offered.values_list("unit_id", "is_rehearsal_held"))
    held_ids = [unit_id for unit_id, is_held in held.items() if is_held]
    orders = dict(Order.objects.filter(launch_id=launch_id, is_rehearsal=True, status__in=ACTIVE_ORDER_STATUSES,
                                       unit_id__in=held_ids).values_list("unit_id", "status")) if held_ids else {}
    return {unit_id: (orders.get(unit_id, UnitStatus.HELD) if is_held else UnitStatus.AVAILABLE)
            for unit_id, is_held in held.items()}
