from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.selectors import building_grid
from yunlou.catalogue.tests.factories import building_with_units


def set_status(building, codes, status):
    Unit.objects.filter(building=building, code__in=codes).update(status=status)


def test_grid_counts_sell_through_and_sold_totals(building, manager):
    set_status(building, ["3-0101", "3-0102"], UnitStatus.SIGNED)
    set_status(building, ["3-0201"], UnitStatus.SUBSCRIBED)
    set_status(building, ["3-0202"], UnitStatus.HELD)
    set_status(building, ["3-0401", "3-0402"], UnitStatus.NOT_FOR_SALE)
    grid = building_grid(staff=manager, building_id=building.pk)

    counts = {c.status: c.count for c in grid.counts}
    assert counts == {"not_for_sale": 2, "available": 2, "held": 1, "subscribed": 1, "signed": 2}
    assert (grid.total_units, grid.released_units, grid.sold_units) == (8, 6, 3)
    assert grid.sell_through == pytest.approx(3 / 6)
    sold = Unit.objects.filter(building=building, status__in=["signed", "subscribed"])
    assert grid.sold_area == sum((u.area for u in sold), Decimal("0"))
    assert grid.sold_amount == sum(u.list_price for u in sold)
    assert [row.floor for row in grid.rows] == [4, 3, 2, 1]
    assert [cell.code for cell in grid.rows[0].cells] == ["3-0401", "3-0402"]


def test_grid_filters_dim_cells_that_do_not_match(building, plans, manager):
    set_status(building, ["3-0101"], UnitStatus.SIGNED)
    grid = building_grid(staff=manager, building_id=building.pk, floor_plan_id=plans[0].pk, status="available")
    matching = {cell.code for row in grid.rows for cell in row.cells if cell.is_match}
    assert matching == {"3-0201", "3-0301", "3-0401"}
    assert grid.total_units == 8  # filters dim cells; the figures stay those of the whole building


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/api/v1/buildings/{}/grid", "/staff/buildings/{}/grid/"])
def test_grid_queries_do_not_grow_with_the_number_of_units(client, project, plans, manager, url):
    small = building_with_units(project=project, number="1", floors=2, units_per_floor=2, plans=plans)
    tower = building_with_units(project=project, number="8", floors=40, units_per_floor=8, plans=plans)
    client.force_login(manager.user)
    client.get(url.format(small.pk))  # warm the session and content types
    assert queries_for(client, url.format(tower.pk)) == queries_for(client, url.format(small.pk))


def test_grid_api_returns_the_whole_tower(client, project, plans, manager):
    tower = building_with_units(project=project, number="8", floors=40, units_per_floor=8, plans=plans)
    Unit.objects.filter(building=tower, code="8-1203").update(status=UnitStatus.SIGNED)
    client.force_login(manager.user)
    body = client.get(f"/api/v1/buildings/{tower.pk}/grid").json()
    assert body["total_units"] == 320
    assert len(body["rows"]) == 40 and body["rows"][0]["floor"] == 40
    cell = body["rows"][40 - 12]["cells"][2]
    assert (cell["code"], cell["status"]) == ("8-1203", "signed")
    assert {c["status"]: c["count"] for c in body["counts"]}["signed"] == 1


def test_grid_api_filter_by_status_marks_matches(client, building, manager):
    client.force_login(manager.user)
    body = client.get(f"/api/v1/buildings/{building.pk}/grid?status=held").json()
    assert not any(cell["is_match"] for row in body["rows"] for cell in row["cells"])


def test_grid_api_refuses_an_unknown_status_filter(client, building, manager):
    client.force_login(manager.user)
    response = client.get(f"/api/v1/buildings/{building.pk}/grid?status=sold")
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "status"


def test_grid_page_shows_cells_legend_and_figures(client, building, manager):
    set_status(building, ["3-0101"], UnitStatus.SIGNED)
    client.force_login(manager.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/").content.decode()
    assert 'data-code="3-0101" data-status="signed"' in page
    for label in ("可售", "已锁定", "已认购", "已签约", "不可售"):
        assert label in page
    assert "去化率" in page


def test_grid_page_ignores_invalid_filters_and_says_so(client, building, manager):
    client.force_login(manager.user)
    response = client.get(f"/staff/buildings/{building.pk}/grid/?floor_plan=abc&status=sold")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_status_change_from_the_grid_dialog(client, building, manager):
    client.force_login(manager.user)
    unit = building.units.get(code="3-0201")
    form = client.get(f"/staff/units/{unit.pk}/status/", HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "not_for_sale" in form.content.decode()
    response = client.post(f"/staff/units/{unit.pk}/status/", {"status": "not_for_sale", "note": "预留"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Trigger"] == "grid-changed"
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.NOT_FOR_SALE


def test_status_change_with_a_disallowed_status_answers_422_and_changes_nothing(client, building, manager):
    client.force_login(manager.user)
    unit = building.units.get(code="3-0201")
    response = client.post(f"/staff/units/{unit.pk}/status/", {"status": "signed"})
    assert response.status_code == 422
    assert Unit.objects.get(pk=unit.pk).status == UnitStatus.AVAILABLE


def test_consultants_see_the_grid_but_cannot_change_it(client, building, consultant):
    client.force_login(consultant.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/")
    assert page.status_code == 200 and "data-unit-dialog" not in page.content.decode()
    unit = building.units.first()
    assert client.post(f"/staff/units/{unit.pk}/status/", {"status": "not_for_sale"}).status_code == 403


# --- entrances, floors, one vocabulary, who sees money ---

@pytest.fixture
def two_entrance_building(project, plans):
    from yunlou.catalogue.tests.factories import building_with_units

    return building_with_units(project=project, number="5", floors=3, units_per_floor=2, plans=plans, entrances=2)


def test_a_building_with_entrances_has_its_columns_grouped_by_entrance(client, two_entrance_building, manager):
    grid = building_grid(staff=manager, building_id=two_entrance_building.pk)
    assert [(c.entrance, c.position) for c in grid.columns] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert [cell.code for cell in grid.rows[0].cells] == ["5-1-0301", "5-1-0302", "5-2-0301", "5-2-0302"]

    client.force_login(manager.user)
    page = client.get(f"/staff/buildings/{two_entrance_building.pk}/grid/").content.decode()
    assert page.index("1单元") < page.index("2单元")
    assert '<th class="entrance-gap" rowspan="2" aria-hidden="true"></th><th scope="colgroup" colspan="2" ' \
           'class="entrance">2单元' in page
    assert '<td class="entrance-gap" aria-hidden="true"></td><td class="cell s-available entrance-start" ' \
           'data-code="5-2-0301"' in page
    assert "2个单元" in page

    body = client.get(f"/api/v1/buildings/{two_entrance_building.pk}/grid").json()
    assert body["entrances"] == [1, 2] and body["positions"] == [1, 2]
    assert [(c["entrance"], c["position"]) for c in body["columns"]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert [c["code"] for c in body["rows"][0]["cells"]] == ["5-1-0301", "5-1-0302", "5-2-0301", "5-2-0302"]


def test_every_floor_is_shown_from_the_top_down_even_without_units(client, project, plans, manager):
    building = building_with_units(project=project, number="6", floors=3, units_per_floor=2, plans=plans)
    building.floors = 6  # three floors without units yet (to be released later)
    building.save()
    Unit.objects.filter(building=building, floor=2).delete()
    grid = building_grid(staff=manager, building_id=building.pk)
    assert grid.floors == 6
    assert [row.floor for row in grid.rows] == [6, 5, 4, 3, 2, 1]
    assert grid.rows[0].cells == [None, None] and grid.rows[4].cells == [None, None]

    client.force_login(manager.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/").content.decode()
    assert "共6层" in page or "6层" in page
    assert all(f'<th scope="row">{floor}F</th>' in page for floor in range(1, 7))
    body = client.get(f"/api/v1/buildings/{building.pk}/grid").json()
    assert body["floors"] == 6 and [row["floor"] for row in body["rows"]] == [6, 5, 4, 3, 2, 1]


def test_the_legend_has_every_status_with_its_colour_and_count(client, building, manager):
    from yunlou.catalogue.models import STATUS_COLOURS

    set_status(building, ["3-0101"], UnitStatus.SIGNED)
    set_status(building, ["3-0102"], UnitStatus.HELD)
    client.force_login(manager.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/").content.decode()
    legend = page[page.index('data-testid="status-legend"'):]
    legend = legend[:legend.index("</ul>")]
    for status, label, count in (("available", "可售", 6), ("held", "已锁定", 1), ("subscribed", "已认购", 0),
                                 ("signed", "已签约", 1), ("not_for_sale", "不可售", 0)):
        assert f'data-status="{status}"><span class="swatch s-{status}"' in legend
        assert f"{label} <b>{count}</b>" in legend
    body = client.get(f"/api/v1/buildings/{building.pk}/grid").json()
    assert {c["status"]: (c["label"], c["colour"]) for c in body["counts"]} == {
        "available": ("可售", STATUS_COLOURS["available"]), "held": ("已锁定", STATUS_COLOURS["held"]),
        "subscribed": ("已认购", STATUS_COLOURS["subscribed"]), "signed": ("已签约", STATUS_COLOURS["signed"]),
        "not_for_sale": ("不可售", STATUS_COLOURS["not_for_sale"])}


def test_the_grid_never_says_on_sale_and_counts_released_units(client, building, manager):
    set_status(building, ["3-0401", "3-0402"], UnitStatus.NOT_FOR_SALE)
    set_status(building, ["3-0101"], UnitStatus.SIGNED)
    client.force_login(manager.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/").content.decode()
    assert "在售" not in page
    assert "已推售" in page and 'data-testid="released-units">6<' in page
    assert 'data-testid="sell-through">16.7%<' in page  # 1 sold of 6 released
    body = client.get(f"/api/v1/buildings/{building.pk}/grid").json()
    assert body["released_units"] == 6 and body["sell_through"] == pytest.approx(1 / 6)
    assert "on_sale_units" not in body


@pytest.mark.parametrize("role", ["consultant", "receptionist", "channel"])
def test_sales_amounts_are_hidden_from_front_line_roles_on_the_page_and_in_the_api(client, project, building, role):
    from yunlou.accounts.tests.factories import make_staff

    set_status(building, ["3-0101"], UnitStatus.SIGNED)
    staff = make_staff(role=role, organization=project.organization, projects=[project])
    client.force_login(staff.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/").content.decode()
    assert 'data-testid="sold-amount"' not in page and 'data-testid="available-amount"' not in page
    assert "已售金额" not in page and "货值" not in page
    body = client.get(f"/api/v1/buildings/{building.pk}/grid").json()
    assert body["sold_amount"] is None and body["available_amount"] is None
    assert body["total_units"] == 8  # the counts stay


@pytest.mark.parametrize("role", ["manager", "admin", "finance"])
def test_sales_amounts_are_shown_to_managers_admins_and_finance(client, project, building, role):
    from yunlou.accounts.tests.factories import make_staff

    set_status(building, ["3-0101"], UnitStatus.SIGNED)
    signed = Unit.objects.get(building=building, code="3-0101").list_price
    staff = make_staff(role=role, organization=project.organization, projects=[project])
    client.force_login(staff.user)
    page = client.get(f"/staff/buildings/{building.pk}/grid/").content.decode()
    assert 'data-testid="sold-amount"' in page and "可售货值" in page
    body = client.get(f"/api/v1/buildings/{building.pk}/grid").json()
    assert body["sold_amount"] == signed and body["available_amount"] > 0
