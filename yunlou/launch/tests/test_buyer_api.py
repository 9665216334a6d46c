"""The buyer's launch API: SMS login with one active session, tokens only while selecting, one tap to hold or
to be told it is taken with the next favourite, own orders only, limits against scripts."""

import datetime
import json

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yunlou.accounts.buyers import LOGIN_PURPOSE
from yunlou.accounts.tests.utils import sms_code_for
from yunlou.launch.models import Order, OrderStatus
from yunlou.launch.services import unit_claim
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of

pytestmark = pytest.mark.django_db
JSON = "application/json"


def logged_in(phone: str) -> Client:
    client = Client()
    client.get("/")  # a CSRF cookie, as the page gives
    code = sms_code_for(phone, purpose=LOGIN_PURPOSE)
    response = client.post("/api/v1/buyers/session", {"phone": phone, "code": code}, content_type=JSON)
    assert response.status_code == 201, response.content
    return client


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type=JSON,
                       headers={"X-CSRFToken": client.cookies["csrftoken"].value})


@pytest.fixture
def launch_world(project, building):
    project.is_published = True
    project.save(update_fields=["is_published"])
    first, second = pledge_make(project, phone="13700000001"), pledge_make(project, phone="13700000002")
    units = list(building.units.order_by("code")[:3])
    launch = launch_make(project, units=units, pledges=[first, second])
    return type("World", (), {"launch": launch, "units": units, "first": first, "second": second})


def test_a_pledged_buyer_logs_in_sees_tokens_and_holds_a_unit_with_one_tap(launch_world):
    client = logged_in("13700000001")
    detail = client.get(f"/api/v1/launches/{launch_world.launch.pk}").json()
    assert detail["me"] == {"logged_in": True, "pledge_number": launch_world.first.number,
                            "pledge_status": "active", "eligible": True, "place": 1, "batch_number": None,
                            "batch_starts_at": None, "batch_ends_at": None}  # all at once: no batch
    units = client.get(f"/api/v1/launches/{launch_world.launch.pk}/units").json()
    assert all(unit["token"] for unit in units)
    response = post(client, f"/api/v1/launches/{launch_world.launch.pk}/selections", {"token": units[0]["token"]})
    assert response.status_code == 201
    assert response.json()["status"] == "held"


def test_before_the_start_no_token_is_given_and_anonymous_callers_never_get_one(project, building):
    project.is_published = True
    project.save(update_fields=["is_published"])
    buyer = pledge_make(project, phone="13700000001")
    launch = launch_make(project, units=list(building.units.all()[:2]), pledges=[buyer], starts_in_minutes=30)
    client = logged_in("13700000001")
    assert not any(unit["token"] for unit in client.get(f"/api/v1/launches/{launch.pk}/units").json())
    launch.starts_at = timezone.now() - datetime.timedelta(minutes=1)
    launch.save(update_fields=["starts_at"])
    assert not any(unit["token"] for unit in Client().get(f"/api/v1/launches/{launch.pk}/units").json())


def test_a_taken_unit_answers_409_with_the_next_favourite_still_free(launch_world):
    launch, units = launch_world.launch, launch_world.units
    unit_claim(launch_id=launch.pk, pledge=launch_world.first, token=token_of(launch, units[0]))
    client = logged_in("13700000002")
    assert client.put(f"/api/v1/launches/{launch.pk}/favourites",
                      json.dumps({"unit_ids": [units[0].pk, units[2].pk]}), content_type=JSON,
                      headers={"X-CSRFToken": client.cookies["csrftoken"].value}).status_code == 200
    response = post(client, f"/api/v1/launches/{launch.pk}/selections", {"token": token_of(launch, units[0])})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "taken" and body["details"]["next"]["unit_id"] == units[2].pk
    assert body["details"]["next"]["token"] == token_of(launch, units[2])


def test_a_second_login_ends_the_first_session(launch_world):
    first_device = logged_in("13700000001")
    assert first_device.get(f"/api/v1/launches/{launch_world.launch.pk}").json()["me"]["logged_in"]
    logged_in("13700000001")  # the same buyer on a second device
    assert first_device.get(f"/api/v1/launches/{launch_world.launch.pk}").json()["me"]["logged_in"] is False
    token = token_of(launch_world.launch, launch_world.units[0])
    assert post(first_device, f"/api/v1/launches/{launch_world.launch.pk}/selections",
                {"token": token}).status_code in {401, 403}
    assert not Order.objects.exists()


def test_another_buyers_order_answers_404_like_a_missing_one(launch_world):
    order = unit_claim(launch_id=launch_world.launch.pk, pledge=launch_world.first,
                       token=token_of(launch_world.launch, launch_world.units[0]))
    other = logged_in("13700000002")
    for order_id in (order.pk, 2**62):
        assert other.get(f"/api/v1/orders/{order_id}").status_code == 404
    owner = logged_in("13700000001")
    assert owner.get(f"/api/v1/orders/{order.pk}").json()["status"] == OrderStatus.HELD


def test_tapping_faster_than_the_limit_is_refused_with_429(launch_world, settings):
    client = logged_in("13700000001")
    token = "x" * 22
    answers = [post(client, f"/api/v1/launches/{launch_world.launch.pk}/selections", {"token": token}).status_code
               for _ in range(8)]
    assert answers[:5] == [404] * 5 and 429 in answers[5:]


def test_staff_cannot_log_in_as_buyers(project, consultant):
    client = Client()
    code = sms_code_for(consultant.user.phone, purpose=LOGIN_PURPOSE)
    response = client.post("/api/v1/buyers/session", {"phone": consultant.user.phone, "code": code},
                           content_type=JSON)
    assert response.status_code == 403 and response.json()["code"] == "staff_account"


def test_a_wrong_code_logs_nobody_in(project):
    sms_code_for("13700000009", purpose=LOGIN_PURPOSE)
    response = Client().post("/api/v1/buyers/session", {"phone": "13700000009", "code": "000000"},
                             content_type=JSON)
    assert response.status_code == 400 and response.json()["field"] == "code"


def _statements(run) -> list[str]:
    """The SQL `run()` sends, on-commit callbacks included, transaction statements left out."""
    with CaptureQueriesContext(connection) as captured, TestCase.captureOnCommitCallbacks(execute=True):
        result = run()
    # A prepared statement is logged without its text on PostgreSQL (Django cannot render it): "" here.
    statements = [query["sql"] or "" for query in captured.captured_queries]
    return result, [sql for sql in statements
                    if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def test_a_selection_reads_and_writes_only_what_it_must(launch_world):
    """The stampede's endpoint: a hold in 7 statements (session, account, one read of the list entry with its
    launch, pledge and the buyer's orders, the token's unit and the buyer's favourites; the conditional UPDATE,
    the order, the audit entry, and the status published after the commit) and a taken unit refused in 3
    (session, account, that one read) — as many as the bare UPDATE behind the same middleware — with the next
    favourite in the answer. It was 20 and 11 before."""
    launch, token = launch_world.launch, token_of(launch_world.launch, launch_world.units[0])
    first, second = logged_in("13700000001"), logged_in("13700000002")
    for client in (first, second):  # the launch page, as before the start: it joins the imported pledge
        assert client.get(f"/api/v1/launches/{launch.pk}").json()["me"]["eligible"]
    wanted = [launch_world.units[0].pk, launch_world.units[1].pk]
    assert second.put(f"/api/v1/launches/{launch.pk}/favourites", json.dumps({"unit_ids": wanted}),
                      content_type=JSON, headers={"X-CSRFToken": second.cookies["csrftoken"].value}).status_code == 200
    url = f"/api/v1/launches/{launch.pk}/selections"
    held, statements = _statements(lambda: post(first, url, {"token": token}))
    assert held.status_code == 201
    assert len(statements) == 7, statements
    assert Order.objects.get(pk=held.json()["id"]).unit.status == "held"
    taken, statements = _statements(lambda: post(second, url, {"token": token}))
    assert taken.status_code == 409 and taken.json()["code"] == "taken"
    assert len(statements) == 3, statements
    assert taken.json()["details"]["next"]["unit_id"] == launch_world.units[1].pk
    assert not any(sql.startswith(("UPDATE", "INSERT")) for sql in statements)


def test_a_mini_program_logs_in_for_a_token_and_uses_it_without_cookies_until_a_new_login(launch_world):
    """A mini program keeps no cookies: the login answers with a token, sent back as a bearer header — on reads
    and on the tap alike, with no CSRF token — and the buyer's next login ends it like any other session."""
    launch = launch_world.launch
    phone = "13700000001"
    login = Client().post("/api/v1/buyers/session", {"phone": phone, "code": sms_code_for(phone, purpose=LOGIN_PURPOSE),
                                                     "token": True}, content_type=JSON)
    assert login.status_code == 201
    token = login.json()["token"]
    app = Client(headers={"Authorization": f"Bearer {token}"})  # a fresh client: no cookie at all
    detail = app.get(f"/api/v1/launches/{launch.pk}")
    assert detail.json()["me"]["eligible"] and "sessionid" not in detail.cookies
    units = app.get(f"/api/v1/launches/{launch.pk}/units").json()
    held = app.post(f"/api/v1/launches/{launch.pk}/selections", json.dumps({"token": units[0]["token"]}),
                    content_type=JSON)
    assert held.status_code == 201
    assert app.get(f"/api/v1/orders/{held.json()['id']}").status_code == 200

    assert Client(headers={"Authorization": "Bearer not-a-session"}).get(
        f"/api/v1/orders/{held.json()['id']}").status_code == 401
    logged_in(phone)  # the same buyer logs in on a phone's browser: the token is over
    assert app.get(f"/api/v1/orders/{held.json()['id']}").status_code == 401
    assert not app.get(f"/api/v1/launches/{launch.pk}").json()["me"]["logged_in"]


def test_the_login_gives_a_token_only_when_asked_and_cookie_calls_still_need_csrf(launch_world):
    phone = "13700000002"
    client = Client(enforce_csrf_checks=True)
    client.get("/")
    login = client.post("/api/v1/buyers/session", {"phone": phone, "code": sms_code_for(phone, purpose=LOGIN_PURPOSE)},
                        content_type=JSON, headers={"X-CSRFToken": client.cookies["csrftoken"].value})
    assert login.status_code == 201 and login.json()["token"] is None
    no_csrf = client.put(f"/api/v1/launches/{launch_world.launch.pk}/favourites", json.dumps({"unit_ids": []}),
                         content_type=JSON)
    assert no_csrf.status_code == 403


@pytest.mark.parametrize("header", ["Bearer \x00abc", "Bearer " + "a" * 5000, "Bearer ../../etc", "Basic abc",
                                    "Bearer"])
def test_odd_authorization_headers_are_a_401_never_a_500(launch_world, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/orders/1")
    assert response.status_code == 401
