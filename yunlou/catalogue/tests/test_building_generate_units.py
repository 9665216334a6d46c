from decimal import Decimal

import pytest

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.services import building_generate_units
from yunlou.catalogue.tests.factories import BuildingFactory, FloorPlanFactory
from yunlou.core.errors import Conflict, Forbidden, ValidationFailed
from yunlou.core.models import AuditLog


def test_one_call_creates_every_floor_and_position_with_its_plan(project, plans, manager):
    building = BuildingFactory(project=project, number="8", floors=40, units_per_floor=8)
    units = building_generate_units(
        staff=manager, building=building,
        floor_plans_by_position={p: plans[0] if p in (1, 8) else plans[1] for p in range(1, 9)},
        price_per_sqm=3_000_000, floor_premium_per_sqm=10_000,
    )
    assert len(units) == Unit.objects.filter(building=building).count() == 320
    top_corner = Unit.objects.get(building=building, code="8-4001")
    assert (top_corner.floor, top_corner.position, top_corner.floor_plan) == (40, 1, plans[0])
    assert Unit.objects.get(building=building, code="8-0102").floor_plan == plans[1]
    # 76 m² × (30,000 + 39 × 100) yuan/m², rounded to the hundred yuan
    assert top_corner.list_price == 257_640_000
    assert top_corner.area == Decimal("76.00")
    assert {u.status for u in units} == {UnitStatus.NOT_FOR_SALE}
    assert AuditLog.objects.filter(action="building.generate_units", target_id=str(building.pk)).exists()


def test_every_position_needs_a_floor_plan(project, plans, manager):
    building = BuildingFactory(project=project, floors=2, units_per_floor=3)
    with pytest.raises(ValidationFailed) as error:
        building_generate_units(staff=manager, building=building, floor_plans_by_position={1: plans[0]},
                                price_per_sqm=3_000_000)
    assert error.value.field == "floor_plans"
    assert "2, 3" in error.value.message
    assert not building.units.exists()


def test_a_building_is_generated_once(building, plans, manager):
    with pytest.raises(Conflict):
        building_generate_units(staff=manager, building=building,
                                floor_plans_by_position={1: plans[0], 2: plans[1]}, price_per_sqm=3_000_000)


def test_floor_plans_of_another_project_are_refused(project, manager):
    building = BuildingFactory(project=project, floors=1, units_per_floor=1)
    with pytest.raises(ValidationFailed):
        building_generate_units(staff=manager, building=building,
                                floor_plans_by_position={1: FloorPlanFactory()}, price_per_sqm=3_000_000)


def test_consultants_cannot_generate_units(project, plans, consultant):
    building = BuildingFactory(project=project, floors=1, units_per_floor=1)
    with pytest.raises(Forbidden):
        building_generate_units(staff=consultant, building=building, floor_plans_by_position={1: plans[0]},
                                price_per_sqm=3_000_000)
