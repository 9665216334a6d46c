"""The online launch (在线开盘) end to end, as the issue's acceptance: a pledged buyer on her phone logs in with an
SMS code, waits out the countdown, taps a unit and holds it, signs the subscription form, pays the deposit on the
sandbox pay page, signs the purchase contract and downloads the signed PDF — while the sales office's big screen,
opened before she selected, follows the unit from available to held, subscribed and signed without a reload.

The PDF is then checked the way a buyer's lawyer would: page 1 rendered to a picture (Chinese text, her drawn
signature, the developer's red seal), the PAdES signature valid against the organisation's CA, and one flipped byte
inside the signed range reported as a changed document."""

import datetime
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, _settled_close, _watched_page
from yunlou.accounts.sms import ConsoleSmsBackend
from yunlou.catalogue.models import UnitStatus
from yunlou.launch.contracts import verify_pdf
from yunlou.launch.models import Contract, Launch, Order, OrderStatus, SigningCertificate
from yunlou.launch.tests.factories import launch_make, pledge_make

# The payments sandbox, configured with this run's keys and calling the live server back over HTTP.
from yunlou.payments.tests.conftest import live_wechatpay, sandbox_keys  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUYER_PHONE = "13700000001"
DEPOSIT_FEN = 2_000_000  # ¥20,000
SECONDS_TO_START = 12  # after the launch page is opened: the SMS login takes a few of them
LIVE_UPDATE_MS = 10_000  # the big screen polls every 3 s when its event stream is refused


@pytest.fixture
def launch_world(project, building, manager):
    project.is_published = True
    project.save(update_fields=["is_published"])
    units = list(building.units.order_by("code")[:4])
    pledge = pledge_make(project, phone=BUYER_PHONE)
    launch = launch_make(project, units=units, pledges=[pledge], deposit=DEPOSIT_FEN, starts_in_minutes=30)
    return type("LaunchWorld", (), {"project": project, "launch": launch, "units": units, "pledge": pledge,
                                    "manager": manager})


@pytest.fixture
def big_screen(browser, live_server, launch_world):
    """A desktop at the sales office, its manager's session set as a cookie (no login page in between)."""
    client = Client()
    client.force_login(launch_world.manager.user)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    page = _watched_page(context)
    yield page
    _settled_close(context)
    assert page.csp_refusals == []


@pytest.fixture
def buyer_phone(browser):
    context = browser.new_context(**PHONE, accept_downloads=True)
    page = _watched_page(context)
    yield page
    _settled_close(context)
    assert page.csp_refusals == []


def shot(page, artifacts_dir, name):
    page.screenshot(path=os.path.join(artifacts_dir, f"launch-journey-{name}.png"), full_page=True)


def draw_signature(page, canvas) -> None:
    """A zigzag drawn with the mouse, as a finger would: signature_pad listens to pointer events."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    points = [(0.08, 0.70), (0.22, 0.22), (0.36, 0.80), (0.52, 0.25), (0.68, 0.78), (0.90, 0.30)]
    page.mouse.move(box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=8)
    page.mouse.up()
    inked = canvas.evaluate("""(element) => {
        const data = element.getContext("2d").getImageData(0, 0, element.width, element.height).data;
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
        return inked;
    }""")
    assert inked > 500, "the pad shows no stroke"


def cell_status_becomes(page, unit_id: int, status: str) -> None:
    page.wait_for_function(
        "([unit, status]) => { const cell = document.querySelector(`[data-unit=\"${unit}\"]`);"
        " return cell !== null && cell.dataset.status === status; }",
        arg=[unit_id, status], timeout=LIVE_UPDATE_MS)


def no_horizontal_overflow(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px phone"


def off_the_event_loop(function, *args):
    """pyHanko's validation calls asyncio.run(), which refuses to run in this thread: sync Playwright keeps an event
    loop running in it. A worker thread has none."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(function, *args).result()


def flipped_inside_signed_range(pdf: bytes) -> bytes:
    """One bit flipped inside the first signed byte range, in a content stream (not in the structure, so the file
    still parses and the change is found by the hash, not by a parse error)."""
    first_start, first_length, _second_start, _second_length = (
        int(value) for value in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf).groups())
    at = pdf.index(b"stream", first_start + first_length // 4) + len(b"stream") + 40
    assert first_start <= at < first_start + first_length
    tampered = bytearray(pdf)
    tampered[at] ^= 0x01
    return bytes(tampered)


def test_a_buyer_selects_subscribes_pays_and_signs_while_the_big_screen_follows(
        launch_world, live_server, live_wechatpay, big_screen, buyer_phone, artifacts_dir, tmp_path):  # noqa: F811
    world, phone, screen = launch_world, buyer_phone, big_screen
    unit = world.units[1]

    # The sales office's big screen is up before anyone selects.
    screen.goto(f"{live_server.url}/staff/launches/{world.launch.pk}/screen/")
    expect(screen.locator(f'[data-unit="{unit.pk}"]')).to_have_attribute("data-status", "available")
    screen.evaluate("() => { window.openedOnce = true; }")
    shot(screen, artifacts_dir, "01-screen-before")

    # The launch starts a few seconds after the buyer opens its page.
    starts_at = timezone.now() + datetime.timedelta(seconds=SECONDS_TO_START)
    Launch.objects.filter(pk=world.launch.pk).update(
        starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1))
    phone.goto(f"{live_server.url}/launches/{world.launch.pk}/")
    login = phone.get_by_test_id("buyer-login")
    login.locator("input[name=phone]").fill(BUYER_PHONE)
    login.locator("button[value=send]").click()
    expect(phone.get_by_test_id("code-sent")).to_be_visible()
    login = phone.get_by_test_id("buyer-login")
    login.locator("input[name=code]").fill(ConsoleSmsBackend.last_code(BUYER_PHONE))
    shot(phone, artifacts_dir, "02-login")
    login.locator("button[value=login]").click()
    expect(phone.get_by_test_id("my-pledge")).to_contain_text(world.pledge.number)

    # The countdown runs, and before the start no cell carries a token to select with.
    countdown = phone.get_by_test_id("countdown")
    expect(countdown.locator(".countdown-time")).to_have_text(re.compile(r"^00:(0\d|1[0-2])$"))
    assert phone.locator("[data-token]").count() == 0
    assert phone.get_by_test_id("launch-grid").get_attribute("data-may-select") == "0"
    phone.evaluate("() => { window.openedOnce = true; }")
    shot(phone, artifacts_dir, "03-countdown")
    no_horizontal_overflow(phone)

    # The countdown runs out on the page itself: the tokens arrive and the tap holds the unit.
    cell = phone.locator(f'.launch-cell[data-unit="{unit.pk}"]')
    expect(cell).to_have_attribute("data-token", re.compile(r".+"), timeout=(SECONDS_TO_START + 10) * 1000)
    assert timezone.now() >= starts_at
    expect(countdown.locator(".countdown-label")).to_have_text(countdown.get_attribute("data-label-open"))
    cell.click()
    result = phone.get_by_test_id("select-result")
    expect(result.locator("[data-outcome=held]")).to_contain_text(unit.code)
    expect(cell).to_have_attribute("data-status", "held")
    assert phone.evaluate("() => window.openedOnce === true"), "the launch page reloaded"
    shot(phone, artifacts_dir, "04-held")
    order = Order.objects.get(pledge=world.pledge)
    assert order.unit_id == unit.pk and order.status == OrderStatus.HELD

    # The big screen shows the hold without a reload.
    cell_status_becomes(screen, unit.pk, UnitStatus.HELD)
    assert screen.evaluate("() => window.openedOnce === true"), "the big screen reloaded"
    shot(screen, artifacts_dir, "05-screen-held")

    # The order page: sign the subscription form on the pad.
    result.get_by_test_id("confirm-order").click()
    phone.wait_for_url(f"**/launches/orders/{order.pk}/")
    expect(phone.get_by_test_id("hold-countdown").locator(".countdown-time")).to_have_text(re.compile(r"\d\d:\d\d"))
    form = phone.get_by_test_id("subscription-form")
    draw_signature(phone, phone.get_by_test_id("signature-pad"))
    shot(phone, artifacts_dir, "06-order-signature")
    no_horizontal_overflow(phone)
    form.locator("button[type=submit]").click()
    expect(phone.get_by_test_id("form-signed")).to_be_visible()

    # Pay the deposit on the sandbox's pay page; its notification reaches the merchant over HTTP.
    phone.get_by_test_id("pay-deposit").click()
    phone.wait_for_url("**/pay/sandbox/checkout/**")
    expect(phone.locator(".pay__amount")).to_contain_text("20,000")
    shot(phone, artifacts_dir, "07-sandbox-pay")
    no_horizontal_overflow(phone)
    phone.locator("button[name=action][value=pay]").click()
    expect(phone.locator("[data-outcome=paid]")).to_be_visible()
    shot(phone, artifacts_dir, "08-sandbox-paid")
    phone.goto(f"{live_server.url}/launches/orders/{order.pk}/")
    expect(phone.get_by_test_id("order")).to_have_attribute("data-status", OrderStatus.SUBSCRIBED)
    expect(phone.get_by_test_id("subscribed")).to_be_visible()
    cell_status_becomes(screen, unit.pk, UnitStatus.SUBSCRIBED)

    # The contract: sign on the pad, and the signed PDF is downloaded.
    draw_signature(phone, phone.get_by_test_id("contract-signature-pad"))
    shot(phone, artifacts_dir, "09-contract-signature")
    no_horizontal_overflow(phone)
    phone.get_by_test_id("contract-form").locator("button[type=submit]").click()
    expect(phone.get_by_test_id("contract-signed")).to_be_visible()
    contract = Contract.objects.get(order=order)
    shot(phone, artifacts_dir, "10-contract-signed")
    no_horizontal_overflow(phone)
    cell_status_becomes(screen, unit.pk, UnitStatus.SIGNED)
    assert screen.evaluate("() => window.openedOnce === true"), "the big screen reloaded"
    shot(screen, artifacts_dir, "11-screen-signed")

    # "Download the signed contract (PDF)" must download, not open the file in the browser's PDF viewer.
    download_link = phone.locator(f'a[href="/launch/contracts/{contract.number}.pdf"]')
    with phone.expect_download() as downloading:
        download_link.click()
    saved = tmp_path / "contract.pdf"
    downloading.value.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) == contract.pdf.size

    # Page 1 as a picture: the red seal, and the buyer's strokes in her box (right half, lower part).
    prefix = os.path.join(artifacts_dir, "launch-contract-page1")
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(saved), prefix],
                   check=True, timeout=60)
    page = numpy.asarray(Image.open(f"{prefix}.png").convert("RGB")).astype(int)
    red, green, blue = page[..., 0], page[..., 1], page[..., 2]
    assert ((red > 170) & (green < 90) & (blue < 90)).sum() > 300, "no red seal on page 1"
    height, width = red.shape
    # The buyer's box: right half, between her name line and the sign date (measured on this one-page contract).
    buyer_box = page[height * 72 // 100:height * 85 // 100, width // 2:]
    assert (buyer_box.max(axis=2) < 60).sum() > 150, "no signature in the buyer's box"

    # The developer's signature holds against the organisation's own CA, and one flipped byte breaks it.
    ca_pem = SigningCertificate.objects.get(organization=world.project.organization).ca_pem.encode()
    verdict = off_the_event_loop(verify_pdf, pdf, ca_pem)
    assert verdict.valid and verdict.intact and verdict.covers_whole_file
    assert verdict.signer == world.project.organization.name
    tampered = off_the_event_loop(verify_pdf, flipped_inside_signed_range(pdf), ca_pem)
    assert not tampered.intact and not tampered.valid

    # Anyone checks the copy on the public page: found, signature valid, the time attested by the TSA.
    phone.goto(f"{live_server.url}/contracts/verify/")
    phone.locator('input[type="file"]').set_input_files(str(saved))
    phone.get_by_role("button", name="查验").click()
    expect(phone.get_by_test_id("verify-found")).to_be_visible()
    expect(phone.get_by_test_id("verify-timestamp")).to_contain_text("可信时间戳")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, artifacts_dir, "12-verify")

    order.refresh_from_db()
    unit.refresh_from_db()
    assert order.status == OrderStatus.SIGNED and unit.status == UnitStatus.SIGNED
