"""调价记录: every set of prices that comes into force is a numbered version of the project's price list,
and each unit it touches keeps a row of its price history. Call inside the transaction that writes the prices."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max

from yunlou.accounts.models import User
from yunlou.catalogue.models import PriceListVersion, Project, Unit, UnitPriceChange


@dataclass(frozen=True)
class PriceBefore:
    """A unit's price and area before the new version, to record what moved."""

    unit: Unit
    list_price: int
    unit_price: int
    area: Decimal


def price_list_version_current(*, project: Project) -> int:
    """The number of the version in force, 0 before the first."""
    return PriceListVersion.objects.filter(project=project).aggregate(number=Max("number"))["number"] or 0


def price_list_version_record(
    *,
    project: Project,
    actor: User | None,
    created: Iterable[Unit] = (),
    changed: Iterable[PriceBefore] = (),
    unchanged: int = 0,
    file_name: str = "",
    file_sha256: str = "",
    note: str = "",
) -> PriceListVersion:
    """Record the next version with its new units and changed prices (the units must be saved already).

    The project row is locked first, so two versions confirmed at the same moment get consecutive numbers
    instead of meeting at the unique constraint.
    """
    Project.objects.select_for_update().filter(pk=project.pk).first()
    created, changed = list(created), list(changed)
    version = PriceListVersion.objects.create(
        project=project, number=price_list_version_current(project=project) + 1, created_by=actor,
        file_name=file_name[:200], file_sha256=file_sha256, note=note[:200], created_units=len(created),
        changed_units=len(changed), unchanged_units=unchanged,
    )
    rows = [
        UnitPriceChange(version=version, unit=unit, new_list_price=unit.list_price, new_unit_price=unit.unit_price,
                        new_area=unit.area)
        for unit in created
    ] + [
        UnitPriceChange(version=version, unit=before.unit, old_list_price=before.list_price,
                        old_unit_price=before.unit_price, old_area=before.area,
                        new_list_price=before.unit.list_price, new_unit_price=before.unit.unit_price,
                        new_area=before.unit.area)
        for before in changed
    ]
    UnitPriceChange.objects.bulk_create(rows, batch_size=1000)
    return version
