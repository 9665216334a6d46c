"""The public lottery page: what is published before and after the draw, and the verify form that re-runs the
draw and names every claim that does not hold (the issue's acceptance point)."""

import hashlib
import re
from html import unescape

import pytest
from django.urls import reverse

from yunlou.launch.models import Launch
from yunlou.launch.services.launches import launch_published_order
from yunlou.launch.tests.factories import launch_make, pledge_make

pytestmark = pytest.mark.django_db

NUMBERS = ["RC00001", "RC00002", "RC00003", "RC00004", "RC00005", "RC00006", "RC00007"]
PUBLIC_VALUE = "公证处 2026-05-01 第6组 305"


@pytest.fixture
def launch(project, building):
    units = list(building.units.order_by("code"))
    launch = launch_make(project, units=units[:4], starts_in_minutes=60)
    for number in NUMBERS:
        pledge_make(project, number=number, name="赵六")
    return launch


@pytest.fixture
def frozen(client, manager, launch):
    client.force_login(manager.user)
    assert client.post(reverse("launch_staff:list_freeze", args=[launch.pk])).status_code == 302
    client.logout()
    launch.refresh_from_db()
    return launch


@pytest.fixture
def drawn(client, manager, frozen):
    client.force_login(manager.user)
    response = client.post(reverse("launch_staff:draw", args=[frozen.pk]), {"public_value": PUBLIC_VALUE})
    assert response.status_code == 302
    client.logout()
    frozen.refresh_from_db()
    return frozen


def _page(client, launch):
    return client.get(reverse("launch_public:lottery", args=[launch.pk]))


def test_before_the_freeze_there_is_no_lottery_page(client, launch):
    assert _page(client, launch).status_code == 404


def test_before_the_draw_anyone_sees_the_digests_and_the_pledge_numbers_but_no_names_or_seed(client, frozen):
    response = _page(client, frozen)
    html = response.content.decode()
    assert response.status_code == 200
    assert frozen.list_digest in html and frozen.seed_commitment in html
    assert all(number in html for number in NUMBERS)
    assert "赵六" not in html and "137" not in re.sub(r"[0-9a-f]{64}", "", html)  # no names, no phones
    assert frozen.seed not in html and 'data-testid="not-drawn"' in html


def test_the_downloaded_list_is_the_one_whose_digest_was_published(client, frozen):
    response = client.get(reverse("launch_public:lottery_list", args=[frozen.pk]))
    assert response.content == "".join(f"{n}\n" for n in NUMBERS).encode()
    assert hashlib.sha256(response.content).hexdigest() == frozen.list_digest


def test_after_a_draw_through_the_staff_page_the_public_page_shows_the_seed_the_value_and_the_order(client, drawn):
    html = unescape(_page(client, drawn).content.decode())
    order = launch_published_order(launch=drawn)
    shown = re.findall(r'<span class="place">(\d+)</span> (RC\d+)</li>', html)
    assert shown == [(str(place), number) for place, number in enumerate(order, start=1)]
    assert sorted(order) == NUMBERS
    assert drawn.seed in html and PUBLIC_VALUE in html
    assert hashlib.sha256(drawn.seed.encode()).hexdigest() == drawn.seed_commitment


def _verify_form(client, launch) -> dict:
    """The verify form's fields as the page prefills them."""
    html = _page(client, launch).content.decode()
    form = html[html.index('data-testid="verify-form"'):]
    fields = dict(re.findall(r'<input type="text" name="(\w+)" value="([^"]*)"', form))
    fields.update(re.findall(r'<textarea name="(\w+)"[^>]*>\n?(.*?)</textarea>', form, flags=re.S))
    return {name: unescape(value) for name, value in fields.items()}


def _verify(client, launch, **changes):
    data = {**_verify_form(client, launch), **changes}
    response = client.post(reverse("launch_public:lottery", args=[launch.pk]), data)
    html = unescape(response.content.decode())
    return response, html, re.findall(r'<li data-code="(\w+)">', html)


def test_the_published_inputs_verify_as_matching(client, drawn):
    prefilled = _verify_form(client, drawn)
    assert set(prefilled) == {"pledge_numbers", "list_digest", "seed_commitment", "seed", "public_value", "order"}
    response, html, codes = _verify(client, drawn)
    assert response.status_code == 200 and codes == []
    assert "Everything matches" in html


def test_one_pledge_changed_in_the_list_is_named_as_a_changed_list(client, drawn):
    numbers = _verify_form(client, drawn)["pledge_numbers"].replace("RC00004", "RC00099")
    _response, html, codes = _verify(client, drawn, pledge_numbers=numbers)
    assert "list_changed" in codes
    assert "The list of pledges is not the one whose fingerprint (SHA-256) was published before the draw" in html


def test_a_different_seed_is_named_as_not_the_committed_one(client, drawn):
    seed = "0" * 64
    _response, html, codes = _verify(client, drawn, seed=seed)
    assert codes[0] == "seed_mismatch"
    assert "The revealed seed is not the one whose fingerprint (SHA-256) was published before the draw." in html


def test_a_different_public_value_gives_a_different_order_from_the_first_place_that_differs(client, drawn):
    _response, html, codes = _verify(client, drawn, public_value=PUBLIC_VALUE + "6")
    assert codes == ["order_differs"]
    assert re.search(r"The order differs from place \d+: the draw gives RC\d+, the published order has RC\d+\.", html)


def test_a_swapped_pair_in_the_published_order_is_named(client, drawn):
    order = _verify_form(client, drawn)["order"].split("\n")
    order[0], order[1] = order[1], order[0]
    _response, html, codes = _verify(client, drawn, order="\n".join(order))
    assert codes == ["order_differs"] and "The order differs from place 1" in html


def test_a_seed_that_is_not_hex_is_refused_by_name_not_with_an_error_page(client, drawn):
    response, html, codes = _verify(client, drawn, seed="not a seed")
    assert response.status_code == 200 and "seed_invalid" in codes
    assert "The seed must be 64 hexadecimal characters." in html


def test_an_order_imported_from_elsewhere_is_shown_without_a_seed_or_verify_form(client, frozen):
    Launch.objects.filter(pk=frozen.pk).update(drawn_at=frozen.list_frozen_at)
    for place, entry in enumerate(frozen.entries.order_by("-pledge__number"), start=1):
        entry.place = place
        entry.save(update_fields=["place"])
    html = _page(client, frozen).content.decode()
    assert "RC00007</li>" in html and frozen.seed not in html and 'data-testid="verify-form"' not in html


def test_the_page_has_no_inline_script(client, drawn):
    html = _page(client, drawn).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
