import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import make_staff
from yunlou.catalogue.models import STATUS_COLOURS, Unit, UnitStatus
from yunlou.catalogue.overview import grid_overview
from yunlou.catalogue.tests.factories import building_with_units
from yunlou.core.money import format_wan

# Building 3 (4 floors × 2): 3 available, 1 held, 1 subscribed, 1 signed, 2 not for sale.
STATUSES = {
    "3-0401": UnitStatus.SIGNED, "3-0402": UnitStatus.SUBSCRIBED, "3-0301": UnitStatus.HELD,
    "3-0101": UnitStatus.NOT_FOR_SALE, "3-0102": UnitStatus.NOT_FOR_SALE,
}


@pytest.fixture
def mixed(building):
    for code, status in STATUSES.items():
        Unit.objects.filter(building=building, code=code).update(status=status)
    return building


def sold_amount(building) -> int:
    return sum(Unit.objects.filter(building=building, code__in=["3-0401", "3-0402"]).values_list("list_price",
                                                                                                 flat=True))


def test_the_overview_counts_each_building_by_status_with_its_sell_through(mixed, manager):
    (entry,) = grid_overview(staff=manager)
    (item,) = entry.buildings
    figures = item.figures
    assert item.building == mixed
    assert figures.counts == {"available": 3, "held": 1, "subscribed": 1, "signed": 1, "not_for_sale": 2}
    assert (figures.total, figures.released, figures.sold) == (8, 6, 2)
    assert figures.sell_through == pytest.approx(2 / 6)  # sold ÷ released, not ÷ all units
    assert figures.sold_amount == sold_amount(mixed)
    assert figures.available_amount == sum(
        Unit.objects.filter(building=mixed, status=UnitStatus.AVAILABLE).values_list("list_price", flat=True))
    assert [(s.label, s.colour, s.count) for s in figures.shares] == [
        ("可售", STATUS_COLOURS["available"], 3), ("已锁定", STATUS_COLOURS["held"], 1),
        ("已认购", STATUS_COLOURS["subscribed"], 1), ("已签约", STATUS_COLOURS["signed"], 1),
        ("不可售", STATUS_COLOURS["not_for_sale"], 2)]
    assert entry.figures.counts == figures.counts  # the project sums its buildings


def test_a_building_with_nothing_released_has_no_rate_and_says_so(client, project, plans, manager):
    building_with_units(project=project, number="7", plans=plans, status=UnitStatus.NOT_FOR_SALE)
    (entry,) = grid_overview(staff=manager)
    assert entry.buildings[0].figures.sell_through is None
    client.force_login(manager.user)
    assert "尚未推售" in client.get("/staff/overview/").content.decode()


def test_a_sold_out_building_says_so(client, project, plans, manager):
    building_with_units(project=project, number="8", plans=plans, status=UnitStatus.SIGNED)
    client.force_login(manager.user)
    page = client.get("/staff/overview/").content.decode()
    assert "售罄" in page and "100.0%" in page


def test_the_overview_page_shows_counts_legend_rate_amounts_and_the_way_into_the_grid(client, mixed, manager):
    client.force_login(manager.user)
    response = client.get("/staff/overview/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/staff/buildings/{mixed.pk}/grid/"' in page
    for label in ("可售", "已锁定", "已认购", "已签约", "不可售"):  # every status in words, never colour alone
        assert label in page
    assert "去化率 33.3%" in page and "已推售" in page
    assert format_wan(sold_amount(mixed)) in page and "已售金额" in page
    for colour in STATUS_COLOURS.values():
        assert colour in page


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.RECEPTIONIST, Role.CHANNEL])
def test_sales_amounts_are_not_shown_to_roles_that_do_not_need_them(client, mixed, project, role):
    staff = make_staff(role=role, organization=project.organization, projects=[project])
    client.force_login(staff.user)
    page = client.get("/staff/overview/").content.decode()
    assert "去化率 33.3%" in page
    assert "已售金额" not in page and "可售货值" not in page and format_wan(sold_amount(mixed)) not in page


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE])
def test_admins_and_finance_see_the_sales_amounts(client, mixed, project, role):
    staff = make_staff(role=role, organization=project.organization, projects=[project])
    client.force_login(staff.user)
    assert format_wan(sold_amount(mixed)) in client.get("/staff/overview/").content.decode()


def test_the_overview_shows_only_the_callers_projects(client, mixed, outsider):
    assert grid_overview(staff=outsider)[0].project.name == "别家楼盘"
    assert len(grid_overview(staff=outsider)) == 1
    client.force_login(outsider.user)
    page = client.get("/staff/overview/").content.decode()
    assert "云栖府" not in page and f"/staff/buildings/{mixed.pk}/grid/" not in page


def test_the_overview_needs_a_staff_login(client, db):
    response = client.get("/staff/overview/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_overview_queries_do_not_grow_with_buildings_or_units(client, mixed, project, plans, manager):
    client.force_login(manager.user)

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/overview/").status_code == 200
        return [query["sql"] for query in captured]

    before = queries()
    for number in ("10", "11", "12"):
        building_with_units(project=project, number=number, floors=30, units_per_floor=6, plans=plans)
    after = queries()
    assert len(after) == len(before)
    unit_queries = [sql for sql in after if 'FROM "catalogue_unit"' in sql]
    assert len(unit_queries) == 1 and "GROUP BY" in unit_queries[0]  # one aggregate over every unit
