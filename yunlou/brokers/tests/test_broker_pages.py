"""The broker's mobile pages: join from an invite with a real SMS code, report through the page, the visit code
only for the reporting broker, commissions totals, the team and the masked leaderboard, and the customer's
check-in."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from yunlou.accounts.buyers import LOGIN_PURPOSE
from yunlou.accounts.tests.utils import sms_code_for
from yunlou.brokers.models import (
    Broker,
    BrokerStatus,
    CommissionEntry,
    EntryKind,
    EntryStatus,
    Referral,
    ReferralStatus,
)
from yunlou.brokers.services.brokers import invite_for
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.services.visits import check_in_token
from yunlou.brokers.tests.factories import broker_make, rules_make
from yunlou.brokers.views_broker import CHECK_IN_PURPOSE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def as_broker(broker) -> Client:
    client = Client()
    client.force_login(broker.user)
    return client


@pytest.fixture
def zhao(project, consultant):
    rules_make(project, number_mode="m34")
    return broker_make(project.organization, upline=consultant.user, phone="13700000009", name="赵师傅")


def test_every_broker_page_renders_for_an_active_broker(zhao, project):
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    client = as_broker(zhao)
    for url in ("/b/", "/b/reports/", f"/b/reports/{referral.pk}/", "/b/team/", "/b/commissions/",
                "/b/leaderboard/", "/b/bank/"):
        response = client.get(url)
        assert response.status_code == 200, url
    home = client.get("/b/").content.decode()
    assert "138****5678" in home  # the project's number form, as the hint
    assert client.get("/b/invite.png")["Content-Type"] == "image/png"
    assert client.get(f"/b/reports/{referral.pk}/qr.png")["Content-Type"] == "image/png"


def test_a_person_joins_from_an_invite_with_an_sms_code_and_awaits_approval(project, consultant):
    invite = invite_for(user=consultant.user, organization=project.organization)
    client = Client()
    page = client.get(f"/b/join/{invite.code}/")
    assert page.status_code == 200 and "王磊" in page.content.decode()
    code = sms_code_for("13700000021", purpose=LOGIN_PURPOSE)
    response = client.post(f"/b/join/{invite.code}/", {"phone": "13700000021", "code": code, "real_name": "钱多多",
                                                       "action": "join"})
    assert response.status_code == 302
    broker = Broker.objects.get(real_name="钱多多")
    assert broker.status == BrokerStatus.PENDING and broker.upline == consultant.user
    home = client.get(response["Location"]).content.decode()
    assert 'data-testid="awaiting-approval"' in home and 'data-testid="report-form"' not in home


def test_a_wrong_code_does_not_join(project, consultant):
    invite = invite_for(user=consultant.user, organization=project.organization)
    response = Client().post(f"/b/join/{invite.code}/", {"phone": "13700000021", "code": "000000",
                                                         "real_name": "钱多多", "action": "join"})
    assert response.status_code == 400 and not Broker.objects.exists()


def test_an_unknown_invite_is_404():
    assert Client().get("/b/join/NOSUCH22/").status_code == 404


def test_a_broker_reports_through_the_page_and_sees_the_visit_code(zhao, project):
    client = as_broker(zhao)
    response = client.post("/b/", {"project": project.pk, "customer_name": "刘先生", "phone": "138****6621",
                                   "org": project.organization_id})
    referral = Referral.objects.get()
    assert response.status_code == 302 and referral.status == ReferralStatus.REPORTED
    page = client.get(response["Location"]).content.decode()
    assert referral.visit_code in page and "138****6621" in page


def test_a_refused_report_says_protected_and_nothing_of_whom(zhao, project):
    rival = broker_make(project.organization, phone="13600000077", name="孙竞争")
    referral_create(user=rival.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    client = as_broker(zhao)
    response = client.post("/b/", {"project": project.pk, "customer_name": "刘", "phone": "138****6621"},
                           follow=True)
    page = response.content.decode()
    assert "The customer is already protected in this project" in page
    assert "孙竞争" not in page and "13600000077" not in page
    mine = Referral.objects.get(broker=zhao)
    assert mine.status == ReferralStatus.REJECTED and mine.visit_code is None


def test_a_number_in_the_wrong_form_is_a_form_error(zhao, project):
    response = as_broker(zhao).post("/b/", {"project": project.pk, "customer_name": "刘", "phone": "1381234"})
    assert response.status_code == 400 and "138****5678" in response.content.decode()
    assert not Referral.objects.exists()


def test_another_brokers_report_and_its_code_are_404(zhao, project):
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    other = as_broker(broker_make(project.organization, phone="13600000078"))
    assert other.get(f"/b/reports/{referral.pk}/").status_code == 404
    assert other.get(f"/b/reports/{referral.pk}/qr.png").status_code == 404
    assert referral.visit_code not in other.get("/b/reports/").content.decode()


def test_a_pending_broker_cannot_report(project, consultant):
    rules_make(project)
    pending = broker_make(project.organization, status=BrokerStatus.PENDING, phone="13600000079")
    response = as_broker(pending).post("/b/", {"project": project.pk, "customer_name": "刘", "phone": "138****6621"})
    assert response.status_code == 200 and not Referral.objects.exists()


def test_commissions_show_totals_in_yuan(zhao, project):
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.VISITED, visited_at=timezone.now())
    org = project.organization
    CommissionEntry.objects.create(organization=org, referral=referral, deal_key="order:1", beneficiary=zhao.user,
                                   level=1, stage="deal", amount=1_430_000)
    payable = CommissionEntry.objects.create(organization=org, referral=referral, deal_key="order:2",
                                             beneficiary=zhao.user, level=1, stage="deal", amount=50_050,
                                             status=EntryStatus.PAYABLE)
    CommissionEntry.objects.create(organization=org, referral=referral, deal_key="order:2", beneficiary=zhao.user,
                                   level=1, stage="deal", amount=-50_050, kind=EntryKind.CLAWBACK,
                                   status=EntryStatus.OWED, reverses=payable)
    page = as_broker(zhao).get("/b/commissions/").content.decode()
    totals = page.split('data-testid="commission-totals"')[1].split("</dl>")[0]
    assert "¥14,300" in totals and "¥500.50" in totals and "¥0" in totals


def test_my_team_shows_only_my_downline(zhao, project, consultant):
    mine = broker_make(project.organization, upline=zhao.user, phone="13600000080", name="李下线")
    broker_make(project.organization, upline=consultant.user, phone="13600000081", name="周别人")
    referral_create(user=mine.user, project_id=project.pk, customer_name="客", phone="139****1234")
    page = as_broker(zhao).get("/b/team/").content.decode()
    assert "李下线" in page and "周别人" not in page and "1 reports" in page


def test_the_leaderboard_masks_names_and_shows_no_phones(zhao, project):
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.VISITED, visited_at=timezone.now())
    page = as_broker(broker_make(project.organization, phone="13600000082")).get("/b/leaderboard/").content.decode()
    assert "赵**" in page and "赵师傅" not in page and "13700000009" not in page


def test_a_customer_checks_in_with_an_sms_code(zhao, project):
    referral = referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="13812346621",
                               now=timezone.now() - datetime.timedelta(hours=1))
    client = Client()
    office_qr = f"/b/checkin/{project.pk}/?t={check_in_token(project_id=project.pk)}"
    assert 'name="t"' in client.get(office_qr).content.decode()
    code = sms_code_for("13812346621", purpose=CHECK_IN_PURPOSE)
    page = client.post(f"/b/checkin/{project.pk}/", {"phone": "13812346621", "code": code, "action": "check_in",
                                                     "t": check_in_token(project_id=project.pk)})
    assert 'data-testid="checked-in"' in page.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.VISITED


def test_a_check_in_without_a_report_sends_the_customer_to_the_desk(project):
    rules_make(project)
    code = sms_code_for("13812346699", purpose=CHECK_IN_PURPOSE)
    page = Client().post(f"/b/checkin/{project.pk}/", {"phone": "13812346699", "code": code, "action": "check_in",
                                                       "t": check_in_token(project_id=project.pk)})
    assert 'data-testid="no-report"' in page.content.decode()


def test_a_wrong_check_in_code_checks_nobody_in(zhao, project):
    referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="13812346621",
                    now=timezone.now() - datetime.timedelta(hours=1))
    response = Client().post(f"/b/checkin/{project.pk}/", {"phone": "13812346621", "code": "000000",
                                                          "action": "check_in",
                                                          "t": check_in_token(project_id=project.pk)})
    assert response.status_code == 400 and Referral.objects.get().status == ReferralStatus.REPORTED


def test_the_check_in_page_without_the_office_qrs_fresh_token_checks_nobody_in(zhao, project):
    referral_create(user=zhao.user, project_id=project.pk, customer_name="刘先生", phone="13812346621",
                    now=timezone.now() - datetime.timedelta(hours=1))
    code = sms_code_for("13812346621", purpose=CHECK_IN_PURPOSE)
    for token in ("", "forged:token"):
        response = Client().post(f"/b/checkin/{project.pk}/", {"phone": "13812346621", "code": code,
                                                              "action": "check_in", "t": token})
        assert response.status_code == 400 and 'data-testid="check-in-expired"' in response.content.decode()
    assert Referral.objects.get().status == ReferralStatus.REPORTED


def test_the_demo_broker_has_a_reported_and_a_visited_report_and_an_invite(client):
    from yunlou.demo.seed import DEMO_BROKER, seed_demo

    logins = seed_demo(with_media=False)
    assert DEMO_BROKER in logins
    zhao = Broker.objects.get(real_name="赵师傅")
    assert zhao.status == BrokerStatus.ACTIVE and zhao.upline.username == "wang"
    assert sorted(zhao.referrals.values_list("status", flat=True)) == ["reported", "visited"]
    assert seed_demo(with_media=False) == logins  # idempotent
    assert Broker.objects.filter(real_name="赵师傅").count() == 1 and zhao.referrals.count() == 2


def test_an_active_broker_finds_his_posters_from_the_home_page(zhao, project):
    page = as_broker(zhao).get("/b/").content.decode()
    assert 'data-testid="posters"' in page and f"/promo/{project.pk}/" in page
