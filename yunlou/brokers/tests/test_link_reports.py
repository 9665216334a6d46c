"""A broker's share link (全民经纪): a visitor who came by it and leaves his own number — proved by its SMS code —
is reported for the broker, judged like any report, shown to the broker masked."""

import pytest

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.brokers.models import BrokerStatus, Referral, ReferralStatus, RejectReason
from yunlou.brokers.services.referrals import referral_phone_display
from yunlou.brokers.tests.factories import broker_make, customer_make, report, rules_make
from yunlou.crm.models import Consultation, Customer
from yunlou.showroom.services import share_code_for
from yunlou.showroom.visit import LINK_COOKIE

pytestmark = pytest.mark.django_db

PHONE = "13812346621"


@pytest.fixture
def zhao(project):
    return broker_make(project.organization, name="赵经纪")


@pytest.fixture
def link(project, zhao):
    return share_code_for(owner=zhao.user, project=project).code


def consult(client, project, *, phone=PHONE, code=None, name="刘先生"):
    return client.post(f"/p/{project.pk}/consult/", {
        "name": name, "phone": phone, "code": code or sms_code_for(phone), "question": "", "visit_date": "",
        "visit_time": ""}, HTTP_HX_REQUEST="true")


def test_a_visitor_by_the_brokers_link_who_leaves_his_number_is_reported_for_the_broker(
        client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    page = client.get(f"/p/{project.pk}/?s={link}")
    assert LINK_COOKIE.format(project.pk) in page.cookies
    response = consult(client, project)
    assert response.status_code == 201
    referral = Referral.objects.get(broker=zhao)
    assert (referral.status, referral.via_link, referral.phone, referral.customer_name) == (
        ReferralStatus.REPORTED, True, PHONE, "刘先生")
    # the desk has the whole number; the broker, who never had it, sees its mask
    assert referral_phone_display(referral) == "138****6621"
    broker_client = type(client)()
    broker_client.force_login(zhao.user)
    page = broker_client.get("/b/reports/").content.decode()
    assert "138****6621" in page and PHONE not in page and 'data-testid="via-link"' in page
    # the customer is told the visit code to show at the desk, and the link has done its work
    assert referral.visit_code in response.content.decode()
    assert response.cookies[LINK_COOKIE.format(project.pk)].value == ""
    assert Consultation.objects.get().customer.phone == PHONE


def test_a_known_customer_by_the_link_is_not_the_brokers(client, project, consultant, zhao, link):
    rules_make(project, number_mode="full")
    customer_make(project, PHONE)
    client.get(f"/p/{project.pk}/?s={link}")
    assert consult(client, project).status_code == 201
    refused = Referral.objects.get(broker=zhao)
    assert (refused.status, refused.reject_reason) == (ReferralStatus.REJECTED, RejectReason.PROTECTED)
    assert Consultation.objects.count() == 1


def test_another_brokers_live_report_keeps_the_customer(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    first = broker_make(project.organization, name="钱经纪")
    report(first, project, "138****6621")
    client.get(f"/p/{project.pk}/?s={link}")
    consult(client, project)
    assert Referral.objects.get(broker=zhao).status == ReferralStatus.REJECTED


def test_a_wrong_sms_code_files_neither_the_consultation_nor_the_report(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    client.get(f"/p/{project.pk}/?s={link}")
    assert consult(client, project, code="000000").status_code == 422
    assert not Referral.objects.exists() and not Consultation.objects.exists()
    assert not Customer.objects.filter(phone_hash__isnull=False).exists()


def test_a_frozen_brokers_link_reports_nobody_and_the_consultation_still_goes_in(
        client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    zhao.status = BrokerStatus.FROZEN
    zhao.save()
    client.get(f"/p/{project.pk}/?s={link}")
    assert consult(client, project).status_code == 201
    assert not Referral.objects.exists() and Consultation.objects.count() == 1


def test_the_daily_cap_does_not_stop_customers_who_come_by_the_link(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34", daily_cap=1)
    report(zhao, project, "139****0001")
    client.get(f"/p/{project.pk}/?s={link}")
    consult(client, project)
    assert Referral.objects.get(broker=zhao, via_link=True).status == ReferralStatus.REPORTED


def test_a_consultants_link_binds_and_reports_nobody(client, project, consultant):
    rules_make(project, number_mode="m34")
    page = client.get(f"/p/{project.pk}/?s={share_code_for(owner=consultant.user, project=project).code}")
    assert LINK_COOKIE.format(project.pk) not in page.cookies
    consult(client, project)
    assert not Referral.objects.exists()


def test_the_first_brokers_link_stands(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    later = broker_make(project.organization, name="钱经纪")
    client.get(f"/p/{project.pk}/?s={link}")
    page = client.get(f"/p/{project.pk}/?s={share_code_for(owner=later.user, project=project).code}")
    assert LINK_COOKIE.format(project.pk) not in page.cookies
    consult(client, project)
    assert Referral.objects.get().broker == zhao


def test_unknown_codes_are_not_remembered(client, project, consultant):
    for code in ("nonsense", "x" * 500, "%00"):
        page = client.get(f"/p/{project.pk}/", {"s": code})
        assert page.status_code == 200 and LINK_COOKIE.format(project.pk) not in page.cookies


def test_the_mini_program_sends_the_share_code_it_was_opened_with(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    response = client.post(f"/api/v1/projects/{project.pk}/consultations", {
        "name": "刘先生", "phone": PHONE, "code": sms_code_for(PHONE), "share_code": link},
        content_type="application/json")
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(broker=zhao)
    assert response.json()["visit_code"] == referral.visit_code and referral.via_link
    other = client.post(f"/api/v1/projects/{project.pk}/consultations", {
        "name": "孙女士", "phone": "13912340000", "code": sms_code_for("13912340000")},
        content_type="application/json")
    assert other.status_code == 201 and other.json()["visit_code"] is None
