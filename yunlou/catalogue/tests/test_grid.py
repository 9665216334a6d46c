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
    assert (grid.total_units, grid.on_sale_units, grid.sold_units) == (8, 6, 3)
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
