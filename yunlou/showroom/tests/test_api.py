import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.crm.models import Binding, Consultation, Customer
from yunlou.showroom.services import share_code_for

JSON = "application/json"


def test_project_detail_carries_media_vr_and_mortgage_defaults(client, showroom):
    body = client.get(f"/api/v1/projects/{showroom.pk}").json()
    assert len(body["photos"]) == 2 and body["videos"][0]["title"] == "宣传片"
    living = body["panorama_scenes"][0]
    assert living["key"] == "living" and living["hotspots"][0]["target_scene"] == "bedroom"
    assert body["mortgage"]["commercial_rate"] == "3.50"


def test_floor_plans_carry_live_availability(client, showroom, plans, building):
    body = client.get(f"/api/v1/projects/{showroom.pk}/floor-plans").json()
    assert {p["name"]: p["available_count"] for p in body} == {"A户型": 4, "B户型": 4}


def test_the_consultant_card_binds_through_a_share_code_and_remembers_the_visitor(client, showroom, consultant,
                                                                                   second_consultant):
    code = share_code_for(owner=second_consultant.user, project=showroom).code
    client.cookies.clear()
    # a first call, with no visitor id yet, shows the link's consultant and hands out an id, but binds no one:
    # a script asking with ever new ids must not make a binding per request
    first = client.get(f"/api/v1/projects/{showroom.pk}/consultant?s={code}").json()
    assert not first["is_bound"] and first["consultant"]["name"] == "陈晓雯"
    assert not Binding.objects.exists()
    client.cookies.clear()
    bound = client.get(f"/api/v1/projects/{showroom.pk}/consultant?s={code}",
                       HTTP_X_VISITOR_ID=first["visitor_id"]).json()
    assert bound["is_bound"] and bound["consultant"]["name"] == "陈晓雯"
    again = client.get(f"/api/v1/projects/{showroom.pk}/consultant", HTTP_X_VISITOR_ID=first["visitor_id"]).json()
    assert again["consultant"]["name"] == "陈晓雯" and again["visitor_id"] == first["visitor_id"]


def test_a_mini_program_asks_with_a_verified_phone(client, showroom, consultant):
    from yunlou.showroom.middleware import visitor_token

    visitor_id = uuid.uuid4()
    visitor = visitor_token(visitor_id)
    sent = client.post("/api/v1/sms/codes", {"phone": "13812345678"}, content_type=JSON)
    assert sent.status_code == 202
    from yunlou.accounts.sms import ConsoleSmsBackend

    response = client.post(f"/api/v1/projects/{showroom.pk}/consultations", {
        "name": "李女士", "phone": "13812345678", "code": ConsoleSmsBackend.last_code("13812345678"),
    }, content_type=JSON, HTTP_X_VISITOR_ID=visitor)
    assert response.status_code == 201 and response.json()["consultant"] == "王磊"
    assert Customer.objects.get().visitors.get().visitor_id == visitor_id


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"name": "李", "phone": "123", "code": "123456"}, 400, "phone"),
    ({"name": "李", "phone": "13812345678", "code": "12ab56"}, 422, "code"),
    ({"name": "", "phone": "13812345678", "code": "123456"}, 422, "name"),
    ({"name": "李" * 31, "phone": "13812345678", "code": "123456"}, 422, "name"),
    ({"name": "李", "phone": "13812345678", "code": "123456", "question": "x" * 501}, 422, "question"),
    ({"name": "李", "phone": "13812345678", "code": "123456"}, 400, "code"),
    ({"name": "李", "phone": "13812345678", "code": "123456", "unit_id": 99999}, 400, "unit_id"),
    ({"name": "李", "phone": "13812345678", "code": "123456", "preferred_visit_at": "2030-01-01T10:00:00"},
     400, "preferred_visit_at"),
    ({"name": "李", "phone": "13812345678", "code": "123456", "preferred_visit_at": "tomorrow"}, 422,
     "preferred_visit_at"),
])
def test_bad_consultations_name_the_field_and_save_nothing(client, showroom, consultant, body, status, field):
    response = client.post(f"/api/v1/projects/{showroom.pk}/consultations", body, content_type=JSON)
    assert response.status_code == status
    answer = response.json()
    assert field == answer.get("field") or field in [d["field"] for d in answer.get("details", [])]
    assert not Consultation.objects.exists() and not Customer.objects.exists()


def test_too_many_code_requests_are_429(client, db):
    client.post("/api/v1/sms/codes", {"phone": "13812345678"}, content_type=JSON)
    response = client.post("/api/v1/sms/codes", {"phone": "13812345678"}, content_type=JSON)
    assert response.status_code == 429 and response.json()["field"] == "phone"


def test_unknown_projects_are_404(client, db):
    assert client.get("/api/v1/projects/999999/consultant").status_code == 404
    response = client.post("/api/v1/projects/999999/consultations",
                           {"name": "李", "phone": "13812345678", "code": "123456"}, content_type=JSON)
    assert response.status_code == 404


def test_the_mortgage_endpoint_computes_in_fen_and_names_bad_fields(client, db):
    body = client.get("/api/v1/mortgage?price=100000000&down_payment_percent=0&commercial_rate=4.9"
                      "&provident_fund_rate=3.25").json()
    assert body["first_payment"] == 530_727  # ¥5,307.27 a month on ¥1,000,000 at 4.9 % over 30 years
    bad = client.get("/api/v1/mortgage?price=1000000&down_payment_percent=30&kind=combined&commercial_rate=4.9"
                     "&provident_fund_rate=3.25")
    assert bad.status_code == 400 and bad.json()["field"] == "provident_fund_amount"


junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["name", "phone", "code", "question", "preferred_visit_at",
                                             "unit_id", "extra"]), junk, max_size=7))
def test_no_consultation_body_causes_a_server_error(client, showroom, body):
    response = client.post(f"/api/v1/projects/{showroom.pk}/consultations", body, content_type=JSON)
    assert response.status_code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["price", "down_payment_percent", "years", "kind", "method",
                                              "commercial_rate", "provident_fund_rate", "provident_fund_amount"]),
                             st.text(max_size=12), max_size=8))
def test_no_mortgage_query_causes_a_server_error(client, db, query):
    response = client.get("/api/v1/mortgage", query)
    assert response.status_code < 500


def test_binding_is_kept_when_the_visitor_later_leaves_a_phone(client, showroom, consultant, second_consultant):
    code = share_code_for(owner=second_consultant.user, project=showroom).code
    card = client.get(f"/api/v1/projects/{showroom.pk}/consultant?s={code}").json()
    client.post(f"/api/v1/projects/{showroom.pk}/consultations", {
        "name": "刘先生", "phone": "13812346621", "code": sms_code_for("13812346621")},
        content_type=JSON, HTTP_X_VISITOR_ID=card["visitor_id"])
    customer = Customer.objects.get()
    assert customer.owner == second_consultant.user
    assert Binding.objects.get(ended_at__isnull=True).customer == customer


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_posts_that_a_foreign_page_could_forge_are_refused(client, showroom, content_type):
    import json

    from yunlou.accounts.sms import ConsoleSmsBackend

    phone = "13912340415"  # used by no other test, so any code in the outbox for it came from here
    response = client.post("/api/v1/sms/codes", json.dumps({"phone": phone}), content_type=content_type)
    assert response.status_code == 415 and response.json()["field"] == "body"
    assert ConsoleSmsBackend.last_code(phone) is None


@pytest.mark.parametrize("query", ["project_id=9223372036854775808", "building_id=0", "floor_plan_id=-5",
                                   "price_max=99999999999999999999"])
def test_out_of_range_ids_and_prices_are_422(client, db, query):
    assert client.get(f"/api/v1/units?{query}").status_code == 422


def test_an_absurd_mortgage_price_is_422(client, db):
    response = client.get(f"/api/v1/mortgage?price={'9' * 4300}&down_payment_percent=0&commercial_rate=24"
                          "&provident_fund_rate=3")
    assert response.status_code == 422
