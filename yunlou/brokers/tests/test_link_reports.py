"""A broker's share link (全民经纪): a visitor who came by it and leaves his own number — proved by its SMS code —
is reported for the broker, judged like any report and kept only when valid, shown to the broker by its last
four digits."""

from unittest import mock

import pytest
from django.test import Client

from yunlou.accounts.tests.utils import sms_code_for
from yunlou.brokers.models import Broker, BrokerStatus, Referral, ReferralStatus, RejectReason
from yunlou.brokers.services.referrals import broker_reject_message, referral_phone_display
from yunlou.brokers.tests.factories import broker_make, customer_make, report, rules_make
from yunlou.core.errors import RateLimited
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
    # the desk has the whole number; the broker, who never had it, sees its last four digits
    assert referral_phone_display(referral) == "*******6621"
    broker_client = type(client)()
    broker_client.force_login(zhao.user)
    page = broker_client.get("/b/reports/").content.decode()
    assert "*******6621" in page and "138" not in page and 'data-testid="via-link"' in page
    # the customer is told the visit code to show at the desk, and the link has done its work
    assert referral.visit_code in response.content.decode()
    assert response.cookies[LINK_COOKIE.format(project.pk)].value == ""
    assert Consultation.objects.get().customer.phone == PHONE


def test_a_known_customer_by_the_link_is_not_the_brokers_and_nothing_is_kept(client, project, consultant, zhao,
                                                                             link):
    rules_make(project, number_mode="full")
    customer_make(project, PHONE)
    client.get(f"/p/{project.pk}/?s={link}")
    response = consult(client, project)
    assert response.status_code == 201 and 'data-testid="visit-code"' not in response.content.decode()
    assert not Referral.objects.exists()  # the broker typed nothing: no attempt to record, no refusal to learn
    assert Consultation.objects.count() == 1


def test_another_brokers_live_report_keeps_the_customer(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    first = broker_make(project.organization, name="钱经纪")
    report(first, project, "138****6621")
    client.get(f"/p/{project.pk}/?s={link}")
    consult(client, project)
    assert not Referral.objects.filter(broker=zhao).exists()


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


def test_the_daily_cap_neither_stops_nor_counts_customers_who_come_by_the_link(client, project, consultant, zhao,
                                                                               link):
    rules_make(project, number_mode="m34", daily_cap=1)
    client.get(f"/p/{project.pk}/?s={link}")
    consult(client, project)
    assert Referral.objects.get(broker=zhao, via_link=True).status == ReferralStatus.REPORTED
    assert report(zhao, project, "139****0001").status == ReferralStatus.REPORTED  # his one typed report of the day
    with pytest.raises(RateLimited):
        report(zhao, project, "139****0002")
    second = Client()
    second.get(f"/p/{project.pk}/?s={link}")
    consult(second, project, phone="13912345555", name="周女士")
    assert Referral.objects.filter(broker=zhao, via_link=True).count() == 2  # over his cap: not his typing


def test_the_broker_cannot_probe_the_number_of_a_customer_his_link_brought(client, project, consultant, zhao,
                                                                            link):
    """Typing the customer's whole number is refused like any protected number, not as his own repeat; and he
    sees only the last four digits to start from."""
    rules_make(project, number_mode="full")
    client.get(f"/p/{project.pk}/?s={link}")
    consult(client, project)
    typed = report(zhao, project, PHONE)
    assert typed.status == ReferralStatus.REJECTED and typed.reject_reason != RejectReason.OWN_REPEAT
    assert broker_reject_message(typed) == str(RejectReason.PROTECTED.label)


def test_the_report_machinery_waits_for_the_sms_code(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    client.get(f"/p/{project.pk}/?s={link}")
    with mock.patch("yunlou.showroom.services.link_report") as link_report:
        assert consult(client, project, code="000000").status_code == 422
    link_report.assert_not_called()


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


def test_asking_again_through_the_mini_program_adds_no_report(client, project, consultant, zhao, link):
    rules_make(project, number_mode="m34")
    for _ in range(3):
        response = client.post(f"/api/v1/projects/{project.pk}/consultations", {
            "name": "刘先生", "phone": PHONE, "code": sms_code_for(PHONE), "share_code": link},
            content_type="application/json")
        assert response.status_code == 201
    assert Referral.objects.count() == 1


def test_a_consultants_code_sent_by_the_mini_program_reports_nobody(client, project, consultant):
    rules_make(project, number_mode="m34")
    broker_make(project.organization, name="王磊的经纪号")  # not him; and were he a broker too, still his link
    Broker.objects.create(organization=project.organization, user=consultant.user, real_name="王磊",
                          status=BrokerStatus.ACTIVE)
    response = client.post(f"/api/v1/projects/{project.pk}/consultations", {
        "name": "刘先生", "phone": PHONE, "code": sms_code_for(PHONE),
        "share_code": share_code_for(owner=consultant.user, project=project).code},
        content_type="application/json")
    assert response.status_code == 201 and response.json()["visit_code"] is None
    assert not Referral.objects.exists()


def test_the_link_of_someone_no_broker_is_not_kept_and_a_brokers_later_link_stands(client, project, consultant,
                                                                                   zhao, link):
    """A former consultant's poster (his code, no longer a consultant's, never a broker's) takes no place."""
    rules_make(project, number_mode="m34")
    former = share_code_for(owner=consultant.user, project=project).code
    consultant.membership.is_active = False
    consultant.membership.save()
    assert LINK_COOKIE.format(project.pk) not in client.get(f"/p/{project.pk}/?s={former}").cookies
    assert LINK_COOKIE.format(project.pk) in client.get(f"/p/{project.pk}/?s={link}").cookies
    consult(client, project)
    assert Referral.objects.get().broker == zhao
