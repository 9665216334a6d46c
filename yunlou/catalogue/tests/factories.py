import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from yunlou.accounts.tests.factories import OrganizationFactory
from yunlou.catalogue.models import Building, FloorPlan, PresalePermit, Project, ProjectStatus, UnitStatus
from yunlou.catalogue.services import building_generate_units


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"测试楼盘{n}")
    district = "杭州·余杭区"
    address = "文一西路1号"
    latitude = Decimal("30.289200")
    longitude = Decimal("120.006500")
    status = ProjectStatus.ON_SALE
    is_published = True


class FloorPlanFactory(DjangoModelFactory):
    class Meta:
        model = FloorPlan

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"{chr(65 + n % 26)}{n}户型")
    rooms = 3
    halls = 2
    bathrooms = 2
    gross_area = Decimal("89.00")
    net_area = Decimal("70.50")
    orientation = "NS"


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    floors = 4
    units_per_floor = 2


class PresalePermitFactory(DjangoModelFactory):
    class Meta:
        model = PresalePermit

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: f"杭售许字(2026)第{n + 1:06d}号")
    issued_on = datetime.date(2026, 10, 8)
    authority = "杭州市住房保障和房产管理局"


def building_with_units(*, project=None, number="3", floors=4, units_per_floor=2, plans=None,
                        status=UnitStatus.AVAILABLE, price_per_sqm=3_000_000, permit=True, entrances=1):
    """A building of `project` whose units are all generated, every position with a floor plan (the same in
    each of its `entrances`); with a presale permit unless `permit=False` (a building without one cannot sell)."""
    project = project or ProjectFactory()
    plans = plans or [FloorPlanFactory(project=project)]
    building = BuildingFactory(project=project, number=number, floors=floors, units_per_floor=units_per_floor,
                               entrances=entrances,
                               presale_permit=PresalePermitFactory(project=project) if permit else None)
    layout = {p: plans[(p - 1) % len(plans)] for p in range(1, units_per_floor + 1)}
    building_generate_units(
        staff=None, building=building, floor_plans_by_position=layout,
        entrances={entrance: layout for entrance in range(1, entrances + 1)}, price_per_sqm=price_per_sqm,
        status=status,
    )
    return building
