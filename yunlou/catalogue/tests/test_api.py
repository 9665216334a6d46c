import pytest

from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.catalogue.tests.factories import ProjectFactory


@pytest.fixture
def unpublished(project):
    return ProjectFactory(organization=project.organization, name="未发布楼盘", is_published=False)


def test_openapi_document_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/projects", "/api/v1/projects/{project_id}", "/api/v1/units",
                 "/api/v1/buildings/{building_id}/grid", "/api/v1/projects/{project_id}/floor-plans"):
        assert path in paths


def test_the_public_sees_published_projects_only(client, project, unpublished):
    body = client.get("/api/v1/projects").json()
    assert [p["name"] for p in body["items"]] == ["云栖府"]
    assert client.get(f"/api/v1/projects/{unpublished.pk}").status_code == 404
    assert client.get(f"/api/v1/projects/{unpublished.pk}/buildings").status_code == 404


def test_staff_see_their_unpublished_projects(client, project, unpublished):
    from yunlou.accounts.models import Role
    from yunlou.accounts.tests.factories import make_staff

    admin = make_staff(role=Role.ADMIN, organization=project.organization)
    client.force_login(admin.user)
    assert client.get(f"/api/v1/projects/{unpublished.pk}").status_code == 200


def test_project_lists_paginate(client, project):
    for n in range(25):
        ProjectFactory(organization=project.organization, name=f"楼盘{n:02d}")
    first = client.get("/api/v1/projects").json()
    assert first["count"] == 26 and len(first["items"]) == 20
    second = client.get("/api/v1/projects?page=2").json()
    assert len(second["items"]) == 6


def test_project_search_by_name_or_district(client, project):
    ProjectFactory(organization=project.organization, name="滨江悦府", district="杭州·滨江区")
    assert [p["name"] for p in client.get("/api/v1/projects?q=滨江").json()["items"]] == ["滨江悦府"]


def test_project_detail_carries_the_price_range_in_fen(client, project, building):
    from yunlou.catalogue.services import project_refresh_price_range

    project_refresh_price_range(project=project)
    body = client.get(f"/api/v1/projects/{project.pk}").json()
    assert body["price_min"] == min(building.units.values_list("list_price", flat=True))
    assert body["price_range_label"].endswith("万")


def test_units_filter_by_building_plan_status_price_and_area(client, project, building, plans):
    Unit.objects.filter(building=building, code="3-0402").update(status=UnitStatus.SIGNED)
    url = f"/api/v1/units?building_id={building.pk}&floor_plan_id={plans[1].pk}&status=available"
    codes = [u["code"] for u in client.get(url).json()["items"]]
    assert codes == ["3-0302", "3-0202", "3-0102"]
    cheapest = min(building.units.values_list("list_price", flat=True))
    body = client.get(f"/api/v1/units?building_id={building.pk}&price_max={cheapest}").json()
    assert {u["list_price"] for u in body["items"]} == {cheapest}
    body = client.get(f"/api/v1/units?building_id={building.pk}&area_min=80&area_max=90").json()
    assert {u["floor_plan_name"] for u in body["items"]} == {"B户型"}


def test_the_public_never_sees_units_held_back(client, building):
    Unit.objects.filter(building=building, code="3-0401").update(status=UnitStatus.NOT_FOR_SALE)
    codes = {u["code"] for u in client.get(f"/api/v1/units?building_id={building.pk}").json()["items"]}
    assert "3-0401" not in codes and len(codes) == 7


@pytest.mark.parametrize("query, field", [
    ("status=sold", "status"), ("price_min=-1", "price_min"), ("area_min=abc", "area_min"),
    ("building_id=x", "building_id"), ("page=0", "page"),
])
def test_bad_filters_answer_422_naming_the_field(client, db, query, field):
    response = client.get(f"/api/v1/units?{query}")
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["details"]]


@pytest.mark.parametrize("url", ["/api/v1/projects/999999", "/api/v1/buildings/999999",
                                 "/api/v1/projects/999999/floor-plans", "/api/v1/projects/abc"])
def test_unknown_ids_are_4xx_never_500(client, db, url):
    assert client.get(url).status_code in {404, 422}
