"""The brokers' JSON API: join with a real SMS code (and a bearer token for a mini program), reports made and
read (accepted and refused, the refusal leaking nothing), the visit code only for the reporting broker, team,
commissions and the masked leaderboard; every error in the one shape."""

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone, translation

from yunlou.accounts.buyers import LOGIN_PURPOSE
from yunlou.accounts.tests.utils import sms_code_for
from yunlou.brokers.models import Broker, BrokerStatus, Referral, ReferralStatus
from yunlou.brokers.services.brokers import invite_for
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.tests.factories import broker_make, rules_make

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def zhao(project, consultant):
    rules_make(project, number_mode="m34")
    return broker_make(project.organization, upline=consultant.user, phone="13700000009", name="赵师傅")


def session_of(broker) -> Client:
    client = Client()
    client.get("/")
    client.force_login(broker.user)
    return client


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type=JSON,
                       headers={"X-CSRFToken": client.cookies["csrftoken"].value})


def test_joining_with_a_token_gives_a_pending_broker_who_reads_himself_by_bearer(project, consultant):
    invite = invite_for(user=consultant.user, organization=project.organization)
    code = sms_code_for("13700000031", purpose=LOGIN_PURPOSE)
    response = Client().post("/api/v1/brokers/join", {"invite_code": invite.code, "phone": "13700000031",
                                                      "code": code, "real_name": "钱多多", "token": True},
                             content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["invite_url"] is None and body["token"]
    me = Client().get("/api/v1/brokers/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["real_name"] == "钱多多"
    assert Broker.objects.get().upline == consultant.user


def test_a_wrong_code_is_refused_in_the_error_shape(project, consultant):
    invite = invite_for(user=consultant.user, organization=project.organization)
    response = Client().post("/api/v1/brokers/join", {"invite_code": invite.code, "phone": "13700000031",
                                                      "code": "000000", "real_name": "钱多多"}, content_type=JSON)
    assert response.status_code == 400 and response.json()["field"] == "code"


def test_an_active_broker_reports_and_reads_the_visit_code(zhao, project):
    client = session_of(zhao)
    assert client.get("/api/v1/brokers/me").json()["invite_url"].startswith("http")
    assert client.get("/api/v1/brokers/projects").json()[0]["number_example"] == "138****5678"
    response = post(client, "/api/v1/brokers/reports", {"project_id": project.pk, "customer_name": "刘先生",
                                                         "phone": "138****6621"})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "reported" and created["visit_code"] and created["phone"] == "138****6621"
    detail = client.get(f"/api/v1/brokers/reports/{created['id']}").json()
    assert detail["visit_code"] == created["visit_code"]
    assert [r["id"] for r in client.get("/api/v1/brokers/reports").json()] == [created["id"]]


def test_a_refused_report_tells_protected_only(zhao, project):
    rival = broker_make(project.organization, phone="13600000077", name="孙竞争")
    referral_create(user=rival.user, project_id=project.pk, customer_name="刘先生", phone="13812346621")
    response = post(session_of(zhao), "/api/v1/brokers/reports", {"project_id": project.pk,
                                                                   "customer_name": "刘", "phone": "138****6621"})
    body = response.json()
    assert response.status_code == 201 and body["status"] == "rejected" and body["visit_code"] is None
    assert body["message"] == "The customer is already protected in this project"
    assert "孙竞争" not in response.content.decode() and "13812346621" not in response.content.decode()


def test_a_number_in_the_wrong_form_is_400_naming_the_phone(zhao, project):
    response = post(session_of(zhao), "/api/v1/brokers/reports", {"project_id": project.pk,
                                                                   "customer_name": "刘", "phone": "1381234"})
    assert response.status_code == 400 and response.json()["field"] == "phone"


def test_another_brokers_report_is_404_and_a_stranger_is_403(zhao, project):
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    other = session_of(broker_make(project.organization, phone="13600000078"))
    assert other.get(f"/api/v1/brokers/reports/{referral.pk}").json()["code"] == "not_found"
    assert other.get("/api/v1/brokers/reports").json() == []
    assert Client().get("/api/v1/brokers/reports").status_code == 401


def test_a_pending_broker_cannot_report(project):
    rules_make(project)
    pending = broker_make(project.organization, status=BrokerStatus.PENDING, phone="13600000079")
    response = post(session_of(pending), "/api/v1/brokers/reports", {"project_id": project.pk,
                                                                      "customer_name": "刘", "phone": "138****6621"})
    assert response.status_code == 403 and not Referral.objects.exists()


def test_team_commissions_and_leaderboard(zhao, project, consultant):
    mine = broker_make(project.organization, upline=zhao.user, phone="13600000080", name="李下线")
    broker_make(project.organization, upline=consultant.user, phone="13600000081", name="周别人")
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.VISITED, visited_at=timezone.now())
    client = session_of(zhao)
    assert [m["real_name"] for m in client.get("/api/v1/brokers/team").json()] == [mine.real_name]
    commissions = client.get("/api/v1/brokers/commissions").json()
    assert commissions == {"pending": 0, "payable": 0, "paid": 0, "owed": 0, "entries": []}
    board = client.get("/api/v1/brokers/leaderboard").json()
    assert board == [{"rank": 1, "name": "赵**", "visits": 1, "deals": 0, "is_me": True}]


@pytest.mark.parametrize("moment, status", [
    ("2030-01-01T10:00:00", 400),  # no offset: the office's own time — here beyond the visit window, named
    ("0001-01-01T00:00:00+14:00", 422), ("9999-12-31T23:59:59", 422), ("2020-01-01T10:00:00+08:00", 400),
])
def test_odd_visit_times_are_refused_naming_the_field_and_write_nothing(zhao, project, moment, status):
    response = post(session_of(zhao), "/api/v1/brokers/reports", {
        "project_id": project.pk, "customer_name": "刘", "phone": "138****6621", "intended_visit_at": moment})
    assert response.status_code == status
    assert response.json()["field"] == "intended_visit_at"
    assert not Referral.objects.exists()


def test_a_visit_time_without_an_offset_is_the_offices_own(zhao, project):
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    response = post(session_of(zhao), "/api/v1/brokers/reports", {
        "project_id": project.pk, "customer_name": "刘", "phone": "138****6621",
        "intended_visit_at": tomorrow.strftime("%Y-%m-%dT15:00:00")})
    assert response.status_code == 201
    visit = timezone.localtime(Referral.objects.get().intended_visit_at)
    assert (visit.date(), visit.hour, str(visit.tzinfo)) == (tomorrow.date(), 15, "Asia/Shanghai")


def test_a_project_id_beyond_any_table_is_404_not_a_crash(zhao):
    response = post(session_of(zhao), "/api/v1/brokers/reports", {
        "project_id": 2**31, "customer_name": "刘", "phone": "138****6621"})
    assert response.status_code == 404
