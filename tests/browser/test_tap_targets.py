"""Tap targets at 375 px: every interactive element of the showroom, the workbench and the grid overview is at
least 44 × 44 CSS px.

The rule (app.css states it too): every a, button, input, select, textarea and summary that is on the page counts,
measured by its bounding box; a checkbox or radio is measured by its label, which is what a finger taps (the
segmented controls hide the input itself). The one exemption is WCAG 2.5.8's "inline" case: a link shown inline
within running text, i.e. whose surrounding block has text besides the link — such as a phone number in a sentence.
"""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_login
from yunlou.catalogue.models import Project, Unit, UnitStatus
from yunlou.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINIMUM = 44

SMALL_TARGETS = """(minimum) => {
  const isInlineInText = (link) => {
    if (getComputedStyle(link).display !== "inline") return false;
    let block = link.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
    const text = (node) => node.textContent.replace(/\\s+/g, "");
    return Boolean(block) && text(block).length > text(link).length;
  };
  const name = (el) => (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim().slice(0, 40);
  const small = [];
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(selector)) {
    let target = el;
    if ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels.length) target = el.labels[0];
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (a closed dialog, display: none)
    if (getComputedStyle(target).visibility === "hidden") continue;
    if (el.tagName === "A" && isInlineInText(el)) continue;
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      small.push(`${el.tagName.toLowerCase()}${el.className ? "." + el.className.split(" ").join(".") : ""} `
                 + `"${name(el)}" ${box.width.toFixed(1)}×${box.height.toFixed(1)}`);
    }
  }
  return small;
}"""


@pytest.fixture
def demo(db):
    seed_demo(with_media=True)
    return Project.objects.get(name="云栖府")


def small_targets(page) -> list[str]:
    return page.evaluate(SMALL_TARGETS, MINIMUM)


def check(page, url, artifacts_dir, name):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
    page.screenshot(path=os.path.join(artifacts_dir, f"item9-taps-{name}.png"))
    return small_targets(page)


def test_every_tap_target_is_at_least_44_px_on_a_phone(demo, live_server, phone, artifacts_dir):
    unit = Unit.objects.filter(building__project=demo, status=UnitStatus.AVAILABLE,
                               building__presale_permit__isnull=False).order_by("pk").first()
    plan = demo.floor_plans.order_by("sort_order", "id").first()
    showroom = {
        "project-list": "/",
        "project": f"/p/{demo.pk}/",
        "floor-plan": f"/p/{demo.pk}/plans/{plan.pk}/",
        "unit": f"/p/{demo.pk}/units/{unit.pk}/",
        "calculator": f"/p/{demo.pk}/calculator/?unit={unit.pk}",
        "building": f"/p/{demo.pk}/buildings/{unit.building_id}/",
        "site-plan": f"/p/{demo.pk}/site/",
    }
    problems = {}
    for name, path in showroom.items():
        problems[name] = check(phone, f"{live_server.url}{path}", artifacts_dir, name)

    # the consultation form with its errors showing, and the calculator with its warning
    phone.goto(f"{live_server.url}/p/{demo.pk}/")
    phone.locator("#consult form").get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("error-summary")).to_be_visible()
    problems["consultation-errors"] = small_targets(phone)

    problems["login"] = check(phone, f"{live_server.url}/accounts/login/", artifacts_dir, "login")
    staff_login(phone, live_server, "wang")
    problems["workbench"] = check(phone, f"{live_server.url}/m/", artifacts_dir, "workbench")
    phone.context.clear_cookies()
    staff_login(phone, live_server, "manager")
    problems["overview"] = check(phone, f"{live_server.url}/staff/overview/", artifacts_dir, "overview")
    problems["grid"] = check(phone, f"{live_server.url}/staff/buildings/{unit.building_id}/grid/", artifacts_dir,
                             "grid")
    problems["projects"] = check(phone, f"{live_server.url}/staff/", artifacts_dir, "staff-projects")
    problems["audit-log"] = check(phone, f"{live_server.url}/staff/audit/", artifacts_dir, "audit-log")

    assert {page: found for page, found in problems.items() if found} == {}
