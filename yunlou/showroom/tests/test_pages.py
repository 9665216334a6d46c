import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.showroom.tests.conftest import add_photos


def test_the_project_list_shows_published_projects_with_search_and_filters(client, showroom):
    ProjectFactory(organization=showroom.organization, name="内部项目", is_published=False)
    page = client.get("/").content.decode()
    assert "云栖府" in page and "内部项目" not in page
    assert "云栖府" in client.get("/?q=余杭").content.decode()
    assert "云栖府" not in client.get("/?q=滨江").content.decode()
    assert "云栖府" in client.get("/?rooms=3&area=lt90").content.decode()  # plan B is 89 m², 3 bedrooms
    assert "云栖府" not in client.get("/?rooms=4").content.decode()


def test_bad_list_filters_are_ignored_not_an_error(client, showroom):
    assert client.get("/?price=free&rooms=99&area=%00").status_code == 200


@pytest.mark.parametrize("path", [
    "/p/{p}/", "/p/{p}/plans/{plan}/", "/p/{p}/units/{unit}/", "/p/{p}/vr/", "/p/{p}/calculator/",
    "/p/{p}/calculator/?unit={unit}", "/p/{p}/buildings/{building}/",
])
def test_every_showroom_page_renders(client, showroom, plans, building, path):
    unit = building.units.get(code="3-0202")
    response = client.get(path.format(p=showroom.pk, plan=plans[1].pk, unit=unit.pk, building=building.pk))
    assert response.status_code == 200
    assert "王磊" in response.content.decode()  # the consultant card is on every page


def test_the_project_page_carries_gallery_video_vr_plans_location_and_form(client, showroom, plans):
    page = client.get(f"/p/{showroom.pk}/").content.decode()
    assert page.count("data-gallery-index") == 2
    assert "<video" in page and 'data-testid="vr-entry"' in page
    assert f"/p/{showroom.pk}/plans/{plans[1].pk}/" in page
    assert "uri.amap.com" in page and "api.map.baidu.com" in page and "maps.apple.com" in page
    assert 'id="consult"' in page


@pytest.mark.parametrize("path", [
    "/p/999999/", "/p/{p}/plans/999999/", "/p/{p}/units/999999/", "/p/{p}/buildings/999999/", "/p/{hidden}/",
    "/p/{hidden}/vr/", "/p/{p}/units/{held_back}/",
])
def test_unknown_or_hidden_things_are_404(client, showroom, building, path):
    hidden = ProjectFactory(organization=showroom.organization, is_published=False)
    held_back = building.units.get(code="3-0101")
    Unit.objects.filter(pk=held_back.pk).update(status=UnitStatus.NOT_FOR_SALE)
    assert client.get(path.format(p=showroom.pk, hidden=hidden.pk, held_back=held_back.pk)).status_code == 404


def test_the_floor_plan_page_lists_its_units_by_floor_range_and_availability(client, showroom, plans, tower):
    Unit.objects.filter(building=tower, code="8-1202").update(status=UnitStatus.SIGNED)
    url = f"/p/{showroom.pk}/plans/{plans[1].pk}/?floor_min=10&floor_max=20"
    page = client.get(url).content.decode()
    assert 'data-code="8-1202" data-status="signed"' in page and 'data-code="8-0902"' not in page
    assert 'data-code="8-2102"' not in page
    only_available = client.get(url + "&available=1").content.decode()
    assert 'data-code="8-1202"' not in only_available and 'data-code="8-1302"' in only_available


def test_the_live_unit_list_refreshes_as_a_fragment(client, showroom, plans, building):
    response = client.get(f"/p/{showroom.pk}/plans/{plans[1].pk}/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="unit-list"') and "<html" not in body


def test_the_unit_status_refreshes_live(client, showroom, building):
    unit = building.units.get(code="3-0202")
    url = f"/p/{showroom.pk}/units/{unit.pk}/"
    assert 'data-status="available"' in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    Unit.objects.filter(pk=unit.pk).update(status=UnitStatus.HELD)
    assert 'data-status="held"' in client.get(url, HTTP_HX_REQUEST="true").content.decode()


def test_the_vr_page_configures_every_scene_and_hotspot(client, showroom):
    page = client.get(f"/p/{showroom.pk}/vr/").content.decode()
    assert '"firstScene": "living"' in page and '"sceneId": "bedroom"' in page and '"sceneId": "living"' in page


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_project_page_queries_do_not_grow_with_units_or_photos(client, showroom, plans):
    from django.core.cache import cache

    url = f"/p/{showroom.pk}/"
    client.get(url)  # the visitor's first visit sets cookies
    cache.clear()  # measure the page being rendered, not its shared rendering from the cache
    before = queries(client, url)
    from yunlou.catalogue.tests.factories import building_with_units

    building_with_units(project=showroom, number="9", floors=30, units_per_floor=6, plans=plans)
    add_photos(showroom, 12)
    cache.clear()
    assert queries(client, url) == before


def test_the_unit_list_queries_do_not_grow_with_units(client, showroom, plans):
    from yunlou.catalogue.tests.factories import building_with_units

    url = f"/p/{showroom.pk}/plans/{plans[1].pk}/"
    client.get(url)
    before = queries(client, url)
    building_with_units(project=showroom, number="9", floors=30, units_per_floor=6, plans=plans)
    assert queries(client, url) == before
    api = f"/api/v1/units?project_id={showroom.pk}&page_size=100"
    before = queries(client, api)
    building_with_units(project=showroom, number="10", floors=30, units_per_floor=6, plans=plans)
    assert queries(client, api) == before


def test_the_mortgage_calculator_is_prefilled_from_the_unit(client, showroom, building):
    unit = building.units.get(code="3-0202")
    page = client.get(f"/p/{showroom.pk}/calculator/?unit={unit.pk}").content.decode()
    assert f'value="{unit.list_price // 100}"' in page
    assert 'data-testid="first-payment"' in page


def test_the_calculator_answers_bad_input_with_the_field_named(client, showroom):
    response = client.get(f"/p/{showroom.pk}/calculator/?price_yuan=abc&down_payment_percent=130&kind=combined"
                          "&years=30&method=equal_instalment&commercial_rate=3.5&provident_fund_rate=2.85",
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    body = response.content.decode()
    assert "房屋总价" in body and "首付比例" in body


def test_a_combined_loan_without_the_provident_part_says_which_field(client, showroom):
    response = client.get(f"/p/{showroom.pk}/calculator/?price_yuan=2860000&down_payment_percent=30&kind=combined"
                          "&years=30&method=equal_instalment&commercial_rate=3.5&provident_fund_rate=2.85",
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "公积金贷款" in response.content.decode()


@pytest.mark.parametrize("query", ["floor_min=%C2%B2", "floor_min=" + "9" * 5000, "floor_max=99999999999999999999",
                                   "floor_min=-1&floor_max=abc"])
def test_odd_floor_filters_are_ignored(client, showroom, plans, query):
    assert client.get(f"/p/{showroom.pk}/plans/{plans[0].pk}/?{query}").status_code == 200


@pytest.mark.parametrize("unit", ["%C2%B2", "9" * 5000, "1e309", "99999999999999999999"])
def test_odd_unit_ids_in_the_calculator_are_ignored(client, showroom, unit):
    assert client.get(f"/p/{showroom.pk}/calculator/?unit={unit}").status_code == 200


def test_on_sale_projects_come_before_upcoming_and_sold_out_ones(client, showroom):
    from yunlou.catalogue.models import ProjectStatus

    ProjectFactory(organization=showroom.organization, name="售罄楼盘", status=ProjectStatus.SOLD_OUT)
    ProjectFactory(organization=showroom.organization, name="待售楼盘", status=ProjectStatus.UPCOMING)
    page = client.get("/").content.decode()
    assert page.index("云栖府") < page.index("待售楼盘") < page.index("售罄楼盘")
