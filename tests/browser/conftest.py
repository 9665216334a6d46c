import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def consultation_fill(page, *, name: str, phone: str):
    """The showroom's consultation form filled as a buyer does: name, number, the SMS code asked for and typed
    in (read from the console SMS). Returns the form, for more fields and its submit button."""
    from playwright.sync_api import expect

    from yunlou.accounts.sms import ConsoleSmsBackend

    form = page.locator("#consult form")
    form.get_by_label("您的称呼").fill(name)
    form.get_by_label("手机号").fill(phone)
    form.get_by_role("button", name="获取验证码").click()
    expect(page.locator("[data-code-sent]")).to_be_visible()
    form.get_by_label("短信验证码").fill(ConsoleSmsBackend.last_code(phone))
    return form


def _settled_close(context) -> None:
    """Close the browser once its pages have no request in flight: a request the live server is still
    answering while the test database is flushed holds a table lock on SQLite ("database table is locked")."""
    for page in context.pages:
        with contextlib.suppress(PlaywrightError):  # a page that never settles (a poll) is closed anyway
            page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


def _watched_page(context):
    """A page that records what the Content Security Policy refused: every browser test fails on a refusal,
    so the policy cannot break a page (VR, htmx, the gallery) without a test noticing."""
    page = context.new_page()
    page.csp_refusals = []
    page.on("console", lambda message: page.csp_refusals.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = _watched_page(context)
    yield page
    _settled_close(context)
    assert page.csp_refusals == []


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = _watched_page(context)
    yield page
    _settled_close(context)
    assert page.csp_refusals == []


def staff_login(page, live_server, username, password="demo12345"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    # Each role lands on its own page (yunlou.accounts.landing); wait until the login page is left.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
