"""Issue 6 item 9 on a 375 px phone: the mortgage calculator keeps its result in sight while inputs change and
warns below the minimum down payment; the consultation form's errors clear as soon as a field is fixed."""

import os

import pytest
from playwright.sync_api import expect

from yunlou.catalogue.models import Project
from yunlou.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    seed_demo(with_media=False)
    return Project.objects.get(name="云栖府")


def shot(page, artifacts_dir, name):
    page.screenshot(path=os.path.join(artifacts_dir, f"item9-{name}.png"), full_page=False)


def in_view_above_the_card(page, locator) -> bool:
    """The element is wholly on screen and not under the consultant card fixed at the bottom."""
    box = locator.bounding_box()
    card = page.get_by_test_id("consultant-card").bounding_box()
    return box["y"] >= 0 and box["y"] + box["height"] <= card["y"] + 0.5


def test_the_calculator_keeps_its_result_in_sight_and_warns_below_the_minimum(demo, live_server, phone,
                                                                               artifacts_dir):
    phone.goto(f"{live_server.url}/p/{demo.pk}/calculator/")
    bar = phone.get_by_test_id("mortgage-bar")
    expect(bar).to_contain_text("月供")
    first = phone.get_by_test_id("bar-payment").inner_text()

    # scroll down to the last input of the form, change it: the bar updates and is still in sight
    rate = phone.get_by_label("商贷利率（%）")
    rate.scroll_into_view_if_needed()
    rate.fill("4.2")
    expect(phone.get_by_test_id("bar-payment")).not_to_have_text(first)
    assert in_view_above_the_card(phone, bar)
    expect(phone.get_by_test_id("mortgage-result")).to_contain_text(phone.get_by_test_id("bar-payment").inner_text())

    # a term further up, by select: still in sight after the change
    years = phone.get_by_label("贷款年限")
    years.scroll_into_view_if_needed()
    second = phone.get_by_test_id("bar-payment").inner_text()
    years.select_option("20")
    expect(phone.get_by_test_id("bar-payment")).not_to_have_text(second)
    assert in_view_above_the_card(phone, bar)

    # below the project's minimum down payment: a warning naming the minimum, and still a result
    down = phone.get_by_label("首付比例（%）")
    expect(phone.get_by_test_id("minimum-down-payment")).to_have_text("本项目最低首付比例：15%")
    down.scroll_into_view_if_needed()
    down.fill("10")
    warning = phone.get_by_test_id("bar-warning")
    expect(warning).to_contain_text("最低首付比例15%")
    assert in_view_above_the_card(phone, bar)
    expect(phone.get_by_test_id("first-payment")).to_be_visible()
    shot(phone, artifacts_dir, "calculator-warning")
    down.fill("30")
    expect(warning).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_consultation_form_shows_its_limits_and_clears_each_error_once_fixed(demo, live_server, phone,
                                                                                  artifacts_dir):
    phone.goto(f"{live_server.url}/p/{demo.pk}/")
    form = phone.locator("#consult form")
    expect(form.get_by_test_id("visit-window")).to_contain_text("可预约未来90天内")
    date = form.get_by_label("看房日期")
    assert date.get_attribute("min") and date.get_attribute("max")

    form.get_by_label("手机号").fill("1381234")
    form.get_by_label("短信验证码").fill("12")
    form.get_by_label("时间").select_option("10:00")
    form.get_by_role("button", name="提交").click()
    summary = phone.get_by_test_id("error-summary")
    expect(summary).to_contain_text("您的称呼：")
    expect(summary).to_contain_text("手机号：")
    form = phone.locator("#consult form")
    name, number, code = form.get_by_label("您的称呼"), form.get_by_label("手机号"), form.get_by_label("短信验证码")
    for field in (name, number, code, form.get_by_label("看房日期")):
        expect(field).to_have_attribute("aria-invalid", "true")
    phone.evaluate("document.getElementById('consult').scrollIntoView()")
    shot(phone, artifacts_dir, "consultation-errors")

    name.fill("李女士")
    expect(phone.locator("#id_name_error")).to_have_count(0)
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(summary).not_to_contain_text("您的称呼：")

    number.fill("13812")  # still not a number: the error stays
    expect(phone.locator("#id_phone_error")).to_be_visible()
    number.fill("138 1234 5678")
    expect(phone.locator("#id_phone_error")).to_have_count(0)
    expect(number).not_to_have_attribute("aria-invalid", "true")

    code.fill("123456")
    expect(phone.locator("#id_code_error")).to_have_count(0)

    date.fill(date.get_attribute("max"))
    expect(phone.locator("#id_visit_date_error")).to_have_count(0)
    expect(summary).to_have_count(0)  # every listed error fixed
    shot(phone, artifacts_dir, "consultation-fixed")

    # an error the code button brings (a wrong number) goes as soon as the number is right
    number.fill("12345")
    form.get_by_role("button", name="获取验证码").click()
    status_error = phone.locator("#phone-code-error")
    expect(status_error).to_contain_text("11位")
    expect(number).to_have_attribute("aria-invalid", "true")
    number.fill("13812345678")
    expect(status_error).to_have_count(0)
    expect(number).not_to_have_attribute("aria-invalid", "true")
