"""The calculator and the consultation form on a phone: the result in sight and a warning below the minimum
down payment; the form's limits shown up front, errors named and tied to their fields."""

import datetime
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from yunlou.showroom.forms import ConsultationForm

CALC = ("price_yuan=2000000&down_payment_percent={down}&kind=commercial&years=30&method=equal_instalment"
        "&commercial_rate=3.5&provident_fund_rate=2.85")


def calculator(client, project, down, **headers):
    return client.get(f"/p/{project.pk}/calculator/?" + CALC.format(down=down), **headers)


def test_the_calculator_warns_below_the_projects_minimum_down_payment_and_still_calculates(client, showroom):
    response = calculator(client, showroom, 10)
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="first-payment"' in page
    assert "首付比例10%低于本项目最低首付比例15%" in page


def test_the_warning_names_the_projects_own_minimum(client, showroom):
    showroom.minimum_down_payment_percent = 20
    showroom.save()
    page = calculator(client, showroom, "17.5", HTTP_HX_REQUEST="true").content.decode()
    assert "首付比例17.5%低于本项目最低首付比例20%" in page


@pytest.mark.parametrize("down", [15, 30, 100])
def test_no_warning_at_or_above_the_minimum(client, showroom, down):
    page = calculator(client, showroom, down).content.decode()
    assert "低于本项目最低首付比例" not in page


def test_the_minimum_is_stated_next_to_the_down_payment_before_anything_is_typed(client, showroom):
    page = client.get(f"/p/{showroom.pk}/calculator/").content.decode()
    assert "本项目最低首付比例：15%" in page and 'aria-describedby="down-payment-minimum"' in page


def test_the_calculator_recalculates_as_inputs_change_and_brings_the_sticky_bar_along(client, showroom):
    page = client.get(f"/p/{showroom.pk}/calculator/").content.decode()
    assert 'hx-trigger="input delay:400ms, submit"' in page and 'hx-sync="this:replace"' in page
    assert 'id="mortgage-bar"' in page and "hx-swap-oob" not in page
    fragment = calculator(client, showroom, 10, HTTP_HX_REQUEST="true").content.decode()
    bar = re.search(r'<div class="result-bar[^"]*" id="mortgage-bar"[^>]*>(.*?)</div>', fragment, re.S)
    assert bar and 'hx-swap-oob="true"' in bar.group(0)
    assert "月供" in bar.group(1) and "最低首付比例15%" in bar.group(1)


def test_bad_calculator_input_still_names_the_field_and_the_bar_says_what_to_do(client, showroom):
    response = calculator(client, showroom, 130, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 422 and "首付比例" in page and "请先修正上方标出的项目" in page


# --- the consultation form ---

def test_the_visit_date_offers_only_the_bookable_window_and_says_so(client, showroom):
    today = timezone.localdate()
    last = today + timedelta(days=90)
    page = client.get(f"/p/{showroom.pk}/").content.decode()
    date_input = re.search(r'<input type="date" name="visit_date"[^>]*>', page).group(0)
    assert f'max="{last.isoformat()}"' in date_input
    assert re.search(r'min="(\d{4}-\d\d-\d\d)"', date_input).group(1) in {
        today.isoformat(), (today + timedelta(days=1)).isoformat()}
    assert f"可预约未来90天内（至{last.isoformat()}），看房时间09:00–18:00。" in page
    assert "最多30个字。" in page and "选填，最多500个字。" in page
    assert 'aria-describedby="id_visit_date_helptext"' in date_input


def test_after_the_last_slot_of_the_day_the_window_starts_tomorrow(monkeypatch):
    evening = timezone.make_aware(datetime.datetime(2026, 3, 2, 18, 30))
    monkeypatch.setattr("yunlou.showroom.forms.timezone.localtime", lambda *args: evening)
    attrs = ConsultationForm().fields["visit_date"].widget.attrs
    assert (attrs["min"], attrs["max"]) == ("2026-03-03", "2026-05-31")


def test_the_fields_carry_the_limits_the_page_can_check(client, showroom):
    page = client.get(f"/p/{showroom.pk}/").content.decode()
    assert re.search(r'<input type="text" name="name" [^>]*maxlength="30"[^>]*required', page)
    assert re.search(r'<textarea name="question" [^>]*maxlength="500"', page)
    assert re.search(r'<input type="text" name="code" [^>]*pattern="\[0-9\]\{6\}"', page)
    assert re.search(r'<input type="tel" name="phone" [^>]*pattern=', page)


def test_server_errors_sit_under_their_field_are_tied_to_it_and_are_listed_by_field_name(client, showroom):
    response = client.post(f"/p/{showroom.pk}/consult/", {"name": "", "phone": "1234", "code": "12",
                                                           "visit_date": "2099-01-01"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 422
    name_input = re.search(r'<input type="text" name="name"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in name_input and "id_name_error" in name_input
    assert 'id="id_name_error" data-error-for="id_name"' in page
    assert 'id="id_visit_time_error" data-error-for="id_visit_time"' in page
    summary = re.search(r'data-testid="error-summary">(.*?)</div>', page, re.S).group(1)
    for label in ("您的称呼", "手机号", "短信验证码", "时间"):
        assert f"{label}：" in summary
    assert 'href="#id_phone"' in summary


def test_a_wrong_number_for_the_code_is_tied_to_the_phone_field(client, showroom):
    page = client.post(f"/p/{showroom.pk}/code/", {"phone": "12345"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-error-for="id_phone"' in page


def test_a_rate_limit_is_not_an_error_of_the_number(client, showroom):
    client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345678"}, HTTP_HX_REQUEST="true")
    page = client.post(f"/p/{showroom.pk}/code/", {"phone": "13812345678"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1分钟" in page and "data-error-for" not in page
