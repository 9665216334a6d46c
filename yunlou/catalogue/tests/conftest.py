from decimal import Decimal

import pytest

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import OrganizationFactory, make_staff
from yunlou.catalogue.tests.factories import FloorPlanFactory, ProjectFactory, building_with_units


@pytest.fixture
def project(db):
    return ProjectFactory(organization=OrganizationFactory(name="云栖置业集团"), name="云栖府")


@pytest.fixture
def plans(project):
    return [
        FloorPlanFactory(project=project, name="A户型", rooms=2, gross_area=Decimal("76"), net_area=Decimal("60")),
        FloorPlanFactory(project=project, name="B户型", rooms=3, gross_area=Decimal("89"), net_area=Decimal("70.5")),
    ]


@pytest.fixture
def building(project, plans):
    return building_with_units(project=project, number="3", floors=4, units_per_floor=2, plans=plans)


@pytest.fixture
def manager(project):
    return make_staff(role=Role.MANAGER, organization=project.organization, projects=[project])


@pytest.fixture
def consultant(project):
    return make_staff(role=Role.CONSULTANT, organization=project.organization, projects=[project])


@pytest.fixture
def outsider(db):
    """A manager of another developer company."""
    other = ProjectFactory(name="别家楼盘")
    return make_staff(role=Role.MANAGER, organization=other.organization, projects=[other])
