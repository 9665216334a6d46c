"""The price-list pages: upload → preview → confirm → versions, the price history on the grid, and who may."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import make_staff
from yunlou.catalogue.models import PriceListDraft, PriceListVersion, Unit
from yunlou.catalogue.services import price_list_confirm, price_list_upload
from yunlou.catalogue.tests.sheets import csv_file, upload, xls, xlsx

TITLE = "云栖府 3#楼 一房一价表（2026年11月）"


def post_file(client, project, buffer, name="一房一价.xlsx"):
    return client.post(f"/staff/projects/{project.pk}/price-list/", {"file": upload(buffer, name)})


def prices(building) -> dict[str, int]:
    return dict(building.units.values_list("code", "list_price"))


def test_upload_preview_confirm_and_the_price_history_on_the_grid(client, project, building, manager):
    client.force_login(manager.user)
    response = post_file(client, project, xlsx(
        ["3#楼", "0101", "A户型", 76, "2,394,000"], ["3#楼", "0102", "B户型", 89, 2_670_000], titles=[TITLE]))
    draft = PriceListDraft.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/projects/{project.pk}/price-list/drafts/{draft.pk}/"

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="count-repriced">1<' in page and 'data-testid="count-unchanged">1<' in page
    assert "¥2,280,000 → <b>¥2,394,000</b>" in page
    assert "+¥114,000 (+5.0%)" in page
    assert Unit.objects.get(building=building, code="3-0101").list_price == 228_000_000

    response = client.post(f"/staff/projects/{project.pk}/price-list/drafts/{draft.pk}/confirm/")
    assert response.status_code == 302 and response["Location"].endswith("/price-list/versions/")
    assert Unit.objects.get(building=building, code="3-0101").list_price == 239_400_000
    versions = client.get(response["Location"]).content.decode()
    assert "V2" in versions and "一房一价.xlsx" in versions and "刘经理" in versions

    unit = building.units.get(code="3-0101")
    dialog = client.get(f"/staff/units/{unit.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    dialog = re.sub(r"<[^>]+>", "", dialog)  # the words as read
    assert "调价记录" in dialog
    assert "V2" in dialog and "V1" in dialog
    assert "¥2,280,000 → ¥2,394,000" in dialog and "+¥114,000 (+5.0%)" in dialog
    assert "¥30,000 → ¥31,500" in dialog  # the price per m² too


def test_the_unit_dialog_reads_the_price_history_in_a_fixed_number_of_queries(client, project, building, manager):
    client.force_login(manager.user)
    unit = building.units.get(code="3-0101")
    url = f"/staff/units/{unit.pk}/status/"
    client.get(url, HTTP_HX_REQUEST="true")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        return len(captured)

    short = queries()
    for price in (2_290_000, 2_300_000, 2_310_000):
        draft = price_list_upload(staff=manager, project_id=project.pk,
                                  file=xlsx(["3", "3-0101", "A户型", 76, price]), file_name="x.xlsx")
        price_list_confirm(staff=manager, draft_id=draft.pk)
    assert queries() == short


def test_a_file_with_errors_gets_a_400_page_listing_every_row_and_no_draft(client, project, building, manager):
    client.force_login(manager.user)
    response = post_file(client, project, xlsx(["3", "3-0101", "A户型", 76, -1], ["9", "0101", "A户型", "x", 1],
                                               titles=[TITLE]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "总价(元)" in page and "<td>3</td>" in page and "<td>E3</td>" in page
    assert "楼栋" in page and "<td>4</td>" in page and "建筑面积(㎡)" in page
    assert not PriceListDraft.objects.exists()


@pytest.mark.parametrize("buffer, name", [
    (xls(["3", "3-0101", "A户型", 76, 2_290_000]), "价格.xls"),
    (csv_file(["3", "3-0101", "A户型", 76, "2,290,000"], encoding="gbk"), "价格.csv"),
])
def test_the_upload_page_takes_xls_and_gbk_csv(client, project, building, manager, buffer, name):
    client.force_login(manager.user)
    assert post_file(client, project, buffer, name).status_code == 302


def test_the_upload_page_without_a_file_says_so(client, project, manager):
    client.force_login(manager.user)
    assert client.post(f"/staff/projects/{project.pk}/price-list/", {}).status_code == 400


def test_confirming_a_stale_preview_from_the_page_is_refused_and_changes_nothing(client, project, building, manager):
    client.force_login(manager.user)
    post_file(client, project, xlsx(["3", "3-0101", "A户型", 76, 2_290_000]))
    mine = PriceListDraft.objects.get()
    theirs = price_list_upload(staff=manager, project_id=project.pk,
                               file=xlsx(["3", "3-0102", "B户型", 89, 2_680_000]), file_name="别人的.xlsx")
    price_list_confirm(staff=manager, draft_id=theirs.pk)
    before = prices(building)

    page = client.get(f"/staff/projects/{project.pk}/price-list/drafts/{mine.pk}/").content.decode()
    assert "V2" in page and 'data-testid="confirm-form"' not in page
    response = client.post(f"/staff/projects/{project.pk}/price-list/drafts/{mine.pk}/confirm/")
    assert response.status_code == 409
    assert 'data-testid="confirm-error"' in response.content.decode()
    assert prices(building) == before and PriceListVersion.objects.filter(project=project).count() == 2


def test_the_preview_asks_for_floor_plans_to_create_and_refuses_without_them(client, project, plans, manager):
    from yunlou.catalogue.tests.factories import BuildingFactory

    building = BuildingFactory(project=project, number="9", floors=30, units_per_floor=4)
    client.force_login(manager.user)
    post_file(client, project, xlsx(["9", "9-1203", "E户型", 120, 3_600_000]))
    draft = PriceListDraft.objects.get()
    page = client.get(f"/staff/projects/{project.pk}/price-list/drafts/{draft.pk}/").content.decode()
    assert "E户型" in page and 'name="plan_0_create"' in page and 'name="plan_0_rooms"' in page

    url = f"/staff/projects/{project.pk}/price-list/drafts/{draft.pk}/confirm/"
    refused = client.post(url)
    assert refused.status_code == 400 and "E户型" in refused.content.decode() and not building.units.exists()
    no_layout = client.post(url, {"plan_0_create": "on"})
    assert no_layout.status_code == 400 and not building.units.exists()
    done = client.post(url, {"plan_0_create": "on", "plan_0_rooms": 3, "plan_0_halls": 2, "plan_0_bathrooms": 2})
    assert done.status_code == 302
    assert building.units.get().floor_plan.layout_label == "3室2厅2卫"


def test_a_manager_discards_a_preview(client, project, building, manager):
    client.force_login(manager.user)
    post_file(client, project, xlsx(["3", "3-0101", "A户型", 76, 2_290_000]))
    draft = PriceListDraft.objects.get()
    response = client.post(f"/staff/projects/{project.pk}/price-list/drafts/{draft.pk}/discard/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "discarded"
    assert Unit.objects.get(building=building, code="3-0101").list_price == 228_000_000


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.RECEPTIONIST, Role.CHANNEL])
def test_front_line_roles_are_refused_every_price_list_page(client, project, building, manager, role):
    draft = price_list_upload(staff=manager, project_id=project.pk, file=xlsx(["3", "3-0101", "A户型", 76, 2_290_000]),
                              file_name="x.xlsx")
    staff = make_staff(role=role, organization=project.organization, projects=[project])
    client.force_login(staff.user)
    base = f"/staff/projects/{project.pk}"
    for url in (f"{base}/price-list/", f"{base}/price-list/drafts/{draft.pk}/", f"{base}/price-list/versions/",
                f"{base}/price-list/versions/1/", f"{base}/permits/"):
        assert client.get(url).status_code == 403, url
    assert post_file(client, project, xlsx(["3", "3-0101", "A户型", 76, 1])).status_code == 403
    assert client.post(f"{base}/price-list/drafts/{draft.pk}/confirm/").status_code == 403
    assert client.post(f"{base}/price-list/drafts/{draft.pk}/discard/").status_code == 403
    assert Unit.objects.get(building=building, code="3-0101").list_price == 228_000_000


def test_another_organisations_manager_gets_404_everywhere(client, project, building, manager, outsider):
    draft = price_list_upload(staff=manager, project_id=project.pk, file=xlsx(["3", "3-0101", "A户型", 76, 2_290_000]),
                              file_name="x.xlsx")
    client.force_login(outsider.user)
    base = f"/staff/projects/{project.pk}"
    for url in (f"{base}/price-list/", f"{base}/price-list/drafts/{draft.pk}/", f"{base}/price-list/versions/",
                f"{base}/permits/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/price-list/drafts/{draft.pk}/confirm/").status_code == 404
    # nor through a project of their own
    own = outsider.project_ids and next(iter(outsider.project_ids))
    assert client.get(f"/staff/projects/{own}/price-list/drafts/{draft.pk}/").status_code == 404
    assert client.post(f"/staff/projects/{own}/price-list/drafts/{draft.pk}/confirm/").status_code == 404


def test_finance_reads_versions_but_does_not_import(client, project, building):
    finance = make_staff(role=Role.FINANCE, organization=project.organization, projects=[project])
    client.force_login(finance.user)
    assert client.get(f"/staff/projects/{project.pk}/price-list/versions/").status_code == 200
    assert client.get(f"/staff/projects/{project.pk}/price-list/").status_code == 403


def test_the_version_page_lists_every_change(client, project, building, manager):
    client.force_login(manager.user)
    page = client.get(f"/staff/projects/{project.pk}/price-list/versions/1/").content.decode()
    assert all(code in page for code in prices(building))
    assert client.get(f"/staff/projects/{project.pk}/price-list/versions/99/").status_code == 404


def test_the_staff_home_links_each_project_to_its_price_lists_and_permits(client, project, building, manager):
    client.force_login(manager.user)
    page = client.get("/staff/").content.decode()
    for url in (f"/staff/projects/{project.pk}/price-list/", f"/staff/projects/{project.pk}/price-list/versions/",
                f"/staff/projects/{project.pk}/permits/"):
        assert f'href="{url}"' in page


def test_the_staff_home_offers_a_consultant_no_price_list_links(client, project, building, consultant):
    client.force_login(consultant.user)
    page = client.get("/staff/").content.decode()
    assert "/price-list/" not in page and "/permits/" not in page
