"""The launch's staff pages: who may open them, setting a launch up, importing pledges, drawing or importing the
order, the orders list and its export, and the board's figures."""

import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yunlou.accounts.tests.factories import make_staff
from yunlou.catalogue.models import UnitStatus
from yunlou.core.models import AuditLog
from yunlou.core.money import format_wan
from yunlou.launch.models import Launch, LaunchUnit, Pledge
from yunlou.launch.services import unit_claim
from yunlou.launch.services.launches import launch_published_order
from yunlou.launch.tests.factories import id_number_for, launch_make, pledge_make, token_of

# The pages are mounted by yunlou/urls.py; until the lead adds the two lines, these tests mount them here.

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def launch(project, building):
    units = list(building.units.order_by("code"))
    return launch_make(project, units=units[:4], reserved=units[4:5], starts_in_minutes=60)


@pytest.fixture
def finance(project):
    return make_staff(role="finance", organization=project.organization, projects=[project])


def _page_urls(launch):
    return {
        "launch list": reverse("launch_staff:launch_list", args=[launch.project_id]),
        "new launch": reverse("launch_staff:launch_new", args=[launch.project_id]),
        "launch detail": reverse("launch_staff:launch_detail", args=[launch.pk]),
        "orders": reverse("launch_staff:orders", args=[launch.pk]),
        "orders export": reverse("launch_staff:orders_export", args=[launch.pk]),
        "board": reverse("launch_staff:board", args=[launch.pk]),
        "big screen": reverse("launch_staff:screen", args=[launch.pk]),
    }


PAGES = ["launch list", "new launch", "launch detail", "orders", "orders export", "board", "big screen"]


@pytest.mark.parametrize("page", PAGES)
def test_every_launch_page_opens_for_the_projects_manager(client, manager, launch, page):
    client.force_login(manager.user)
    assert client.get(_page_urls(launch)[page]).status_code == 200


@pytest.mark.parametrize("page", PAGES)
def test_a_consultant_is_refused_every_launch_page(client, consultant, launch, page):
    client.force_login(consultant.user)
    assert client.get(_page_urls(launch)[page]).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_another_organisations_manager_finds_no_launch_page(client, outsider, launch, page):
    client.force_login(outsider.user)
    assert client.get(_page_urls(launch)[page]).status_code == 404


@pytest.mark.parametrize("page, status", [("board", 200), ("big screen", 200), ("launch detail", 403),
                                          ("orders", 403)])
def test_finance_watches_the_board_but_does_not_set_the_launch_up(client, finance, launch, page, status):
    client.force_login(finance.user)
    assert client.get(_page_urls(launch)[page]).status_code == status


# --- setting a launch up through the form ---

def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _launch_form(building, **changes):
    units = list(building.units.order_by("code"))
    starts = timezone.now() + datetime.timedelta(days=2)
    data = {
        "name": "三号楼首开", "starts_at": _local(starts), "ends_at": _local(starts + datetime.timedelta(hours=3)),
        "per_buyer_limit": "2", "hold_minutes": "10", "deposit": "30000", "entry_order": "all_at_once",
        "rehearsal_starts_at": _local(starts - datetime.timedelta(days=1)),
        "rehearsal_ends_at": _local(starts - datetime.timedelta(days=1) + datetime.timedelta(hours=1)),
        "unit_ids": [str(unit.pk) for unit in units[:5]], "reserved_unit_ids": [str(units[4].pk)],
    }
    data.update(changes)
    return data


def test_a_manager_sets_up_a_launch_through_the_form(client, manager, project, building):
    client.force_login(manager.user)
    response = client.post(reverse("launch_staff:launch_new", args=[project.pk]), _launch_form(building))
    launch = Launch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("launch_staff:launch_detail",
                                                                            args=[launch.pk])
    assert (launch.name, launch.per_buyer_limit, launch.hold_minutes, launch.deposit) == ("三号楼首开", 2, 10,
                                                                                          3_000_000)
    assert launch.rehearsal_starts_at is not None
    assert LaunchUnit.objects.filter(launch=launch, is_reserved=False).count() == 4
    assert LaunchUnit.objects.filter(launch=launch, is_reserved=True).count() == 1


def test_the_set_up_form_marks_reserved_units_and_offers_a_select_all_per_building(client, manager, project,
                                                                                  building):
    client.force_login(manager.user)
    html = client.get(reverse("launch_staff:launch_new", args=[project.pk])).content.decode()
    assert f'data-select-all="{building.pk}"' in html
    assert html.count('name="reserved_unit_ids"') == building.units.count()
    assert "<script>" not in html and "launch/launch-form.js" in html


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"ends_at": _local(timezone.now())}, "ends_at"),
    ({"deposit": "0"}, "deposit"),
    ({"unit_ids": []}, "unit_ids"),
    ({"hold_minutes": "500"}, "hold_minutes"),
    ({"rehearsal_ends_at": ""}, "rehearsal_starts_at"),
    ({"ends_at": "9999-12-31T23:59"}, "ends_at"),  # past Python's calendar once anything is added to it
    ({"starts_at": "1900-01-01T08:00"}, "starts_at"),
])
def test_a_bad_launch_form_names_the_field_and_creates_nothing(client, manager, project, building, changes, field):
    client.force_login(manager.user)
    response = client.post(reverse("launch_staff:launch_new", args=[project.pk]), _launch_form(building, **changes))
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not Launch.objects.exists()


def test_a_unit_that_is_not_available_is_refused_with_its_code(client, manager, project, building):
    held = building.units.order_by("code").first()
    client.force_login(manager.user)
    data = _launch_form(building)
    held.status = UnitStatus.HELD
    held.save(update_fields=["status"])
    response = client.post(reverse("launch_staff:launch_new", args=[project.pk]), data)
    assert response.status_code == 400 and 'data-field="unit_ids"' in response.content.decode()
    assert not Launch.objects.exists()


# --- pledges imported through the launch page ---

def _csv(rows) -> SimpleUploadedFile:
    lines = ["姓名,手机号,身份证号,认筹金额(元)", *(",".join(row) for row in rows)]
    return SimpleUploadedFile("认筹名单.csv", "\n".join(lines).encode("utf-8"), content_type="text/csv")


def test_a_pledge_list_with_bad_rows_is_refused_with_a_table_of_rows_and_nothing_imported(client, manager, launch):
    client.force_login(manager.user)
    upload = _csv([("张三", "13800001111", id_number_for(501), "50000"),
                   ("李四", "12345", id_number_for(502), "50000"),
                   ("王五", "13800002222", "110105199001010000", "abc")])
    response = client.post(reverse("launch_staff:pledge_import", args=[launch.pk]), {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    table = html[html.index('data-testid="pledge-errors"'):]
    assert re.search(r"<td>3</td>\s*<td[^>]*>phone</td>", table)
    assert re.search(r"<td>4</td>\s*<td[^>]*>id_number</td>", table)
    assert not Pledge.objects.exists()


def test_a_good_pledge_list_creates_the_pledges(client, manager, launch):
    client.force_login(manager.user)
    upload = _csv([("张三", "13800001111", id_number_for(511), "50000"),
                   ("李四", "13800003333", id_number_for(512), "50000.00")])
    response = client.post(reverse("launch_staff:pledge_import", args=[launch.pk]), {"file": upload})
    assert response.status_code == 302
    assert sorted(Pledge.objects.values_list("name", "amount")) == [("张三", 5_000_000), ("李四", 5_000_000)]
    page = client.get(reverse("launch_staff:launch_detail", args=[launch.pk])).content.decode()
    assert "138****1111" in page and "13800001111" not in page


def test_a_workbook_that_is_not_one_is_a_quick_400(client, manager, launch):
    client.force_login(manager.user)
    upload = SimpleUploadedFile("认筹.xlsx", b"not a zip at all", content_type=XLSX)
    response = client.post(reverse("launch_staff:pledge_import", args=[launch.pk]), {"file": upload})
    assert response.status_code == 400 and not Pledge.objects.exists()


# --- the lottery through the page ---

@pytest.fixture
def unplaced_launch(project, building):
    units = list(building.units.order_by("code"))
    launch = launch_make(project, units=units[:4], starts_in_minutes=60)
    for number in ("RC00001", "RC00002", "RC00003", "RC00004", "RC00005"):
        pledge_make(project, number=number)
    return launch


def test_the_manager_freezes_the_list_and_draws_and_the_places_are_written(client, manager, unplaced_launch):
    client.force_login(manager.user)
    client.post(reverse("launch_staff:list_freeze", args=[unplaced_launch.pk]))
    response = client.post(reverse("launch_staff:draw", args=[unplaced_launch.pk]),
                           {"public_value": "公证处 2026-05-01 第6组 305"})
    assert response.status_code == 302
    unplaced_launch.refresh_from_db()
    assert unplaced_launch.public_value == "公证处 2026-05-01 第6组 305"
    assert len(launch_published_order(launch=unplaced_launch)) == 5


def test_a_draw_before_the_list_is_frozen_is_refused_on_the_page(client, manager, unplaced_launch):
    client.force_login(manager.user)
    response = client.post(reverse("launch_staff:draw", args=[unplaced_launch.pk]), {"public_value": "305"})
    assert response.status_code == 409 and "Freeze the list of eligible buyers first." in response.content.decode()


def _order_workbook(rows, header=("顺序号", "认筹编号")) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["某某公证处摇号结果"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("摇号结果.xlsx", buffer.getvalue(), content_type=XLSX)


def test_an_order_drawn_elsewhere_is_imported_from_its_workbook(client, manager, unplaced_launch):
    client.force_login(manager.user)
    client.post(reverse("launch_staff:list_freeze", args=[unplaced_launch.pk]))
    order = ["RC00003", "RC00001", "RC00005", "RC00002", "RC00004"]
    upload = _order_workbook([(place, number) for place, number in enumerate(order, start=1)])
    response = client.post(reverse("launch_staff:order_import", args=[unplaced_launch.pk]), {"file": upload})
    assert response.status_code == 302
    assert launch_published_order(launch=unplaced_launch) == order


def test_a_bad_external_order_names_the_files_own_rows_and_places_nobody(client, manager, unplaced_launch):
    client.force_login(manager.user)
    client.post(reverse("launch_staff:list_freeze", args=[unplaced_launch.pk]))
    upload = _order_workbook([(1, "RC00003"), (2, "RC00001"), (2, "RC00005"), (4, "RC09999"), (5, "RC00004")])
    response = client.post(reverse("launch_staff:order_import", args=[unplaced_launch.pk]), {"file": upload})
    assert response.status_code == 400
    table = response.content.decode().split('data-testid="order-errors"')[1]
    assert re.search(r"<td>5</td>\s*<td[^>]*>Place</td>\s*<td>Place 2 is also given in row 4.", table)
    assert "RC09999 is not a pledge on the eligible list." in table
    assert launch_published_order(launch=unplaced_launch) == []


def test_the_anomaly_flags_show_their_reasons_after_the_draw(client, manager, project, building):
    units = list(building.units.order_by("code"))
    pledges = [pledge_make(project, number=f"RC{n:05d}") for n in (1, 2, 3)]
    launch = launch_make(project, units=units[:2], pledges=pledges)
    Launch.objects.filter(pk=launch.pk).update(list_frozen_at=timezone.now(), drawn_at=timezone.now())
    client.force_login(manager.user)
    html = client.get(reverse("launch_staff:launch_detail", args=[launch.pk])).content.decode()
    assert "3 consecutive pledge numbers, RC00001 to RC00003, are all among the first 10 places." in html


def test_the_rehearsal_is_cleared_from_its_button(client, manager, project, building):
    units = list(building.units.order_by("code"))
    pledge = pledge_make(project)
    now = timezone.now()
    launch = launch_make(project, units=units[:2], pledges=[pledge], starts_in_minutes=120,
                         rehearsal_starts_at=now - datetime.timedelta(minutes=5),
                         rehearsal_ends_at=now + datetime.timedelta(minutes=60))
    unit_claim(launch_id=launch.pk, pledge=pledge, token=token_of(launch, units[0], rehearsal=True))
    client.force_login(manager.user)
    response = client.post(reverse("launch_staff:rehearsal_clear", args=[launch.pk]))
    assert response.status_code == 302 and not launch.orders.exists()


# --- orders and their export ---

@pytest.fixture
def sold_launch(project, building):
    """Two buyers: one holds a unit, the other (named like a formula) too; the rest available."""
    units = list(building.units.order_by("code"))
    buyers = [pledge_make(project, name="=cmd"), pledge_make(project, name="周")]
    launch = launch_make(project, units=units[:4], pledges=buyers)
    for pledge, unit in zip(buyers, units, strict=False):
        unit_claim(launch_id=launch.pk, pledge=pledge, token=token_of(launch, unit))
    return launch


def test_the_orders_list_filters_by_pledge_number_and_status(client, manager, sold_launch):
    client.force_login(manager.user)
    first = sold_launch.orders.order_by("id").first()
    url = reverse("launch_staff:orders", args=[sold_launch.pk])
    html = client.get(url, {"q": first.pledge.number}).content.decode()
    assert first.pledge.number in html and "1 order" in html
    assert "No order matches." in client.get(url, {"status": "signed"}).content.decode()
    filtered = client.get(url, {"rehearsal": "real", "building": str(first.unit.building_id)})
    assert "2 orders" in filtered.content.decode()


def test_the_export_is_a_workbook_without_a_single_formula_and_is_audited(client, manager, sold_launch):
    client.force_login(manager.user)
    response = client.get(reverse("launch_staff:orders_export", args=[sold_launch.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = [cell.value for cell in cells if isinstance(cell.value, str) and "cmd" in cell.value]
    assert names and all(name.startswith("'=") for name in names)
    assert len(list(workbook.active.iter_rows())) == 3  # header and two orders
    assert AuditLog.objects.filter(action="launch.orders_export", actor=manager.user).exists()


# --- the board ---

def test_the_board_counts_sold_units_amount_sell_through_and_holds_of_the_offered_units(client, manager, project,
                                                                                       building):
    units = list(building.units.order_by("code"))
    launch = launch_make(project, units=units[:4], reserved=units[4:5])
    for unit, status in zip(units, [UnitStatus.SUBSCRIBED, UnitStatus.SIGNED, UnitStatus.HELD], strict=False):
        unit.status = status
        unit.save(update_fields=["status"])
    client.force_login(manager.user)
    html = client.get(reverse("launch_staff:board", args=[launch.pk])).content.decode()

    def figure(name):
        return re.search(rf'data-testid="{name}">([^<]*)<', html)[1]

    assert (figure("sold"), figure("offered"), figure("held"), figure("sell-through")) == ("2", "4", "1", "50.0%")
    assert figure("sold-amount") == format_wan(units[0].list_price + units[1].list_price)
    assert f'data-events-url="/live/launches/{launch.pk}/events"' in html
    assert f'data-state-url="/live/launches/{launch.pk}/state"' in html
    assert f'data-unit="{units[2].pk}" data-status="held"' in html
    assert f'data-unit="{units[4].pk}"' not in html  # reserved: never offered, not on the board
    cells = re.findall(r'data-status="(\w+)"[^>]*><span><b>[^<]+</b><em data-status-label>([^<]+)</em>', html)
    assert len(cells) == 4 and all(label for _status, label in cells)  # every cell states its status in words
    assert "live/launch-grid.js" in html and "launch/board.js" in html


def test_the_big_screen_has_no_navigation_and_the_same_grid_container(client, manager, launch):
    client.force_login(manager.user)
    html = client.get(reverse("launch_staff:screen", args=[launch.pk])).content.decode()
    assert "topnav" not in html and 'class="launch-screen"' in html
    assert "data-labels=" in html and f'data-events-url="/live/launches/{launch.pk}/events"' in html


@pytest.fixture
def batch_launch(project, building):
    units = list(building.units.order_by("code"))
    launch = launch_make(project, units=units[:4], starts_in_minutes=60, minutes=120, entry_order="batches")
    for number in ("BT00001", "BT00002", "BT00003", "BT00004", "BT00005"):
        pledge_make(project, number=number)
    return launch


def test_the_manager_sets_batches_of_the_lottery_order_and_setting_them_again_replaces_them(client, manager,
                                                                                            batch_launch):
    client.force_login(manager.user)
    url = reverse("launch_staff:batches_set", args=[batch_launch.pk])
    refused = client.post(url, {"size": 2, "minutes": 20, "gap_minutes": 5})
    assert refused.status_code == 409 and "Freeze the list of eligible buyers first." in refused.content.decode()
    client.post(reverse("launch_staff:list_freeze", args=[batch_launch.pk]))
    assert client.post(url, {"size": 2, "minutes": 20, "gap_minutes": 5}).status_code == 302
    batches = list(batch_launch.batches.order_by("number"))
    assert [(b.first_place, b.last_place) for b in batches] == [(1, 2), (3, 4), (5, 5)]
    assert [b.starts_at - batch_launch.starts_at for b in batches] == [
        datetime.timedelta(minutes=m) for m in (0, 25, 50)]
    assert all(b.ends_at - b.starts_at == datetime.timedelta(minutes=20) for b in batches)
    page = client.get(reverse("launch_staff:launch_detail", args=[batch_launch.pk])).content.decode()
    assert 'data-testid="batch-table"' in page and "5–5" in page
    assert client.post(url, {"size": 5, "minutes": 30, "gap_minutes": 0}).status_code == 302
    assert list(batch_launch.batches.values_list("first_place", "last_place")) == [(1, 5)]
    assert AuditLog.objects.filter(action="launch.batches_set").count() == 2


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"size": 1, "minutes": 60, "gap_minutes": 0}, "minutes", "after the launch ends"),
    ({"size": 0, "minutes": 20, "gap_minutes": 0}, "size", ""),
    ({"size": 2, "minutes": 20, "gap_minutes": 0, "first_starts_at": "2020-01-01T08:00"}, "first_starts_at",
     "before the launch"),
    ({"size": "二", "minutes": 20, "gap_minutes": 0}, "size", ""),
])
def test_batches_that_do_not_fit_are_refused_naming_the_field_and_nothing_changes(client, manager, batch_launch,
                                                                                  data, field, message):
    client.force_login(manager.user)
    client.post(reverse("launch_staff:list_freeze", args=[batch_launch.pk]))
    response = client.post(reverse("launch_staff:batches_set", args=[batch_launch.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-field="{field}"' in html and message in html
    assert not batch_launch.batches.exists()


def test_batches_are_refused_once_the_launch_has_started_and_for_a_launch_without_batches(client, manager, project,
                                                                                         building, batch_launch):
    client.force_login(manager.user)
    client.post(reverse("launch_staff:list_freeze", args=[batch_launch.pk]))
    Launch.objects.filter(pk=batch_launch.pk).update(starts_at=timezone.now() - datetime.timedelta(minutes=1))
    started = client.post(reverse("launch_staff:batches_set", args=[batch_launch.pk]),
                          {"size": 2, "minutes": 20, "gap_minutes": 0})
    assert started.status_code == 409 and not batch_launch.batches.exists()
    at_once = launch_make(project, units=[], starts_in_minutes=60)
    response = client.post(reverse("launch_staff:batches_set", args=[at_once.pk]),
                           {"size": 2, "minutes": 20, "gap_minutes": 0})
    assert response.status_code == 409 and "it has no batches" in response.content.decode()


@pytest.mark.parametrize("data", [
    {"size": str(2**63), "minutes": 20, "gap_minutes": 0},
    {"size": 2, "minutes": str(2**63), "gap_minutes": 0},
    {"size": 2, "minutes": 20, "gap_minutes": 0, "first_starts_at": "2026-01-01T08:00\x00"},
    {"size": 2, "minutes": 20, "gap_minutes": 0, "first_starts_at": "9999-12-31T23:59"},
])
def test_hostile_batch_values_are_refused_with_a_4xx_and_change_nothing(client, manager, batch_launch, data):
    client.force_login(manager.user)
    client.post(reverse("launch_staff:list_freeze", args=[batch_launch.pk]))
    response = client.post(reverse("launch_staff:batches_set", args=[batch_launch.pk]), data)
    assert 400 <= response.status_code < 500
    assert not batch_launch.batches.exists()
