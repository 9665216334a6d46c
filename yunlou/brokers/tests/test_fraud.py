"""Fraud flags (issue 9, item 6): each pattern is flagged with its reason, and ordinary reports are not."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from yunlou.accounts.models import LoginDevice
from yunlou.accounts.tests.factories import OrganizationFactory, make_staff
from yunlou.brokers.fraud import FlagKind, fraud_flags
from yunlou.brokers.models import Broker, BrokerStatus
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.services.visits import visit_register
from yunlou.brokers.tests.factories import broker_make, rules_make
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.crm.models import Customer, CustomerVisitor
from yunlou.showroom.middleware import VISITOR_COOKIE, parse_visitor_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reasons_in_english(settings):
    """Reasons are asserted in their English source wording (the pages show them in Chinese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def channel(project):
    return make_staff(role="channel", organization=project.organization, projects=[project])


def _report(project, broker, phone, *, name="客户", device=None, at=None):
    return referral_create(user=broker.user, project_id=project.pk, customer_name=name, phone=phone,
                           device_id=device, now=at or timezone.now() - datetime.timedelta(minutes=30))


def _broker_of(user, project, *, name="经纪"):
    """A staff member's own account signed up as a broker (one phone is one account)."""
    return Broker.objects.create(organization=project.organization, user=user, real_name=name,
                                 status=BrokerStatus.ACTIVE)


def _kinds(staff, kind):
    return [flag for flag in fraud_flags(staff) if flag.kind == kind]


def test_ordinary_reports_raise_no_flag(project, channel):
    rules_make(project, number_mode="full")
    for index, broker in enumerate([broker_make(project.organization, phone=f"1360000{n:04d}") for n in (1, 2)]):
        _report(project, broker, f"1381234{index:04d}", device=uuid.uuid4())
    assert fraud_flags(channel) == []


@pytest.mark.parametrize("mode", ["full", "m34", "m43"])
def test_a_broker_reporting_his_own_number_is_a_self_referral(project, channel, mode):
    rules_make(project, number_mode=mode)
    broker = broker_make(project.organization, phone="13912345678", name="自报")
    shown = {"full": "13912345678", "m34": "139****5678", "m43": "1391****678"}[mode]
    referral = _report(project, broker, shown)
    [flag] = _kinds(channel, FlagKind.SELF_REFERRAL)
    assert flag.broker == broker and flag.referral_id == referral.pk and "own phone" in flag.reason


def test_a_report_from_the_customers_own_device_is_a_self_referral(project, channel):
    rules_make(project, number_mode="m34")
    device = uuid.uuid4()
    customer = Customer.objects.create(project=project, name="客户", phone="13812345678")
    CustomerVisitor.objects.create(customer=customer, visitor_id=device)
    broker = broker_make(project.organization)
    # The customer is known, so the report is refused — but it is still the customer's browser reporting him.
    referral = _report(project, broker, "138****5678", device=device)
    [flag] = _kinds(channel, FlagKind.SELF_REFERRAL)
    assert flag.referral_id == referral.pk and "device" in flag.reason


def test_a_device_of_another_customer_is_no_self_referral(project, channel):
    rules_make(project, number_mode="full")
    device = uuid.uuid4()
    other = Customer.objects.create(project=project, name="别人", phone="13700000000")
    CustomerVisitor.objects.create(customer=other, visitor_id=device)
    _report(project, broker_make(project.organization), "13812345678", device=device)
    assert _kinds(channel, FlagKind.SELF_REFERRAL) == []


def test_a_report_after_the_customers_first_visit_is_flagged(project, channel):
    rules_make(project, number_mode="full")
    desk = make_staff(role="receptionist", organization=project.organization, projects=[project])
    visit_register(staff=desk, project_id=project.pk, customer_name="散客", phone="13812345678",
                   now=timezone.now() - datetime.timedelta(hours=2))
    broker = broker_make(project.organization, name="补报")
    referral = _report(project, broker, "13812345678")
    assert referral.reject_reason == "already_visited"
    [flag] = _kinds(channel, FlagKind.AFTER_VISIT)
    assert flag.broker == broker and flag.referral_id == referral.pk


def test_a_staff_members_phone_behind_a_broker_account_is_flagged(project, channel):
    insider = make_staff(role="consultant", organization=project.organization, projects=[project],
                         phone="13955550000", display_name="顾问钱")
    broker = _broker_of(insider.user, project)
    broker_make(project.organization, phone="13955550001")
    [flag] = _kinds(channel, FlagKind.STAFF_PHONE)
    assert flag.broker == broker and "顾问钱" in flag.reason


def test_another_organisations_staff_phone_is_not_flagged(project, channel):
    elsewhere = ProjectFactory(organization=OrganizationFactory(name="别家"))
    outsider = make_staff(role="consultant", organization=elsewhere.organization, projects=[elsewhere],
                          phone="13955550000")
    _broker_of(outsider.user, project)
    assert _kinds(channel, FlagKind.STAFF_PHONE) == []


def test_one_device_behind_several_brokers_is_flagged_for_each(project, channel):
    rules_make(project, number_mode="full")
    device = uuid.uuid4()
    first, second = broker_make(project.organization, name="甲"), broker_make(project.organization, name="乙")
    _report(project, first, "13812340001", device=device)
    _report(project, second, "13812349999", device=device)
    _report(project, first, "13812340500", device=uuid.uuid4())
    flags = _kinds(channel, FlagKind.SHARED_DEVICE)
    assert {flag.broker for flag in flags} == {first, second}
    assert all("甲" in flag.reason and "乙" in flag.reason for flag in flags)


def test_a_broker_whose_reports_almost_never_visit_is_flagged(project, channel):
    rules_make(project, number_mode="full", daily_cap=0, at=timezone.now() - datetime.timedelta(days=30))
    broker = broker_make(project.organization, name="空报")
    start = timezone.now() - datetime.timedelta(days=10)
    for index in range(10):
        _report(project, broker, f"1381{index:03d}0000", at=start + datetime.timedelta(hours=2 * index))
    [flag] = _kinds(channel, FlagKind.RARE_VISITS)
    assert flag.broker == broker and "0 of 10" in flag.reason


def test_nine_unvisited_reports_are_too_few_to_judge(project, channel):
    rules_make(project, number_mode="full", daily_cap=0, at=timezone.now() - datetime.timedelta(days=30))
    broker = broker_make(project.organization)
    start = timezone.now() - datetime.timedelta(days=10)
    for index in range(9):
        _report(project, broker, f"1381{index:03d}0000", at=start + datetime.timedelta(hours=2 * index))
    assert _kinds(channel, FlagKind.RARE_VISITS) == []


def test_a_burst_of_sequential_numbers_within_an_hour_is_flagged(project, channel):
    rules_make(project, number_mode="full", daily_cap=0, at=timezone.now() - datetime.timedelta(days=30))
    broker = broker_make(project.organization, name="连号")
    start = timezone.now() - datetime.timedelta(hours=3)
    for minutes, phone in ((0, "13812340001"), (20, "13812340005"), (50, "13812340009")):
        _report(project, broker, phone, at=start + datetime.timedelta(minutes=minutes))
    [flag] = _kinds(channel, FlagKind.BURST)
    assert flag.broker == broker and "3 " in flag.reason


def test_sequential_numbers_spread_over_more_than_an_hour_are_no_burst(project, channel):
    rules_make(project, number_mode="full", daily_cap=0, at=timezone.now() - datetime.timedelta(days=30))
    broker = broker_make(project.organization)
    start = timezone.now() - datetime.timedelta(hours=5)
    for minutes, phone in ((0, "13812340001"), (50, "13812340005"), (130, "13812340009")):
        _report(project, broker, phone, at=start + datetime.timedelta(minutes=minutes))
    assert _kinds(channel, FlagKind.BURST) == []


def test_a_burst_of_one_masked_number_is_flagged(project, channel):
    rules_make(project, number_mode="m34", daily_cap=0, at=timezone.now() - datetime.timedelta(days=30))
    broker = broker_make(project.organization, name="同号")
    start = timezone.now() - datetime.timedelta(hours=3)
    for minutes in (0, 10, 20):
        _report(project, broker, "138****5678", at=start + datetime.timedelta(minutes=minutes))
    [flag] = _kinds(channel, FlagKind.BURST)
    assert flag.broker == broker


def test_the_fraud_page_shows_each_flag_with_its_reason(client, project, channel):
    insider = make_staff(role="consultant", organization=project.organization, projects=[project],
                         phone="13955550000", display_name="顾问钱")
    _broker_of(insider.user, project, name="内鬼")
    client.force_login(channel.user)
    page = client.get(reverse("brokers_staff:fraud")).content.decode()
    assert "内鬼" in page and "顾问钱" in page


def test_flags_are_scoped_to_the_callers_organisation(project):
    insider = make_staff(role="consultant", organization=project.organization, projects=[project],
                         phone="13955550000")
    _broker_of(insider.user, project)
    elsewhere = ProjectFactory(organization=OrganizationFactory(name="别家"))
    stranger = make_staff(role="channel", organization=elsewhere.organization, projects=[elsewhere])
    assert fraud_flags(stranger) == []


def _staff_login_from(client, member) -> uuid.UUID:
    """The staff member logs in at the login page: the browser keeps a visitor id, recorded against him."""
    response = client.post("/accounts/login/", {"username": member.user.username, "password": "secret-pass-123"})
    assert response.status_code == 302
    return parse_visitor_id(response.cookies[VISITOR_COOKIE].value)


def test_logging_in_records_the_browser_and_gives_it_a_visitor_id(client, project, channel):
    device = _staff_login_from(client, channel)
    assert LoginDevice.objects.get(user=channel.user).visitor_id == device
    later = type(client)()  # the same browser another day: its visitor id kept, the session long gone
    later.cookies[VISITOR_COOKIE] = client.cookies[VISITOR_COOKIE].value
    again = later.post("/accounts/login/", {"username": channel.user.username, "password": "secret-pass-123"})
    assert again.status_code == 302 and VISITOR_COOKIE not in again.cookies  # the same row, renewed
    [row] = LoginDevice.objects.filter(user=channel.user)
    assert row.last_seen_at > row.first_seen_at


def test_reports_from_a_device_a_staff_member_logs_in_from_are_flagged(client, project, channel):
    rules_make(project, number_mode="full")
    insider = make_staff(role="consultant", organization=project.organization, projects=[project],
                         display_name="顾问钱")
    device = _staff_login_from(client, insider)
    friend = broker_make(project.organization, name="钱的朋友")
    _report(project, friend, "13812340001", name="孙先生", device=device)
    _report(project, friend, "13812340002", device=device)
    _report(project, broker_make(project.organization, name="别人"), "13812340003", device=uuid.uuid4())
    [flag] = _kinds(channel, FlagKind.STAFF_DEVICE)
    assert flag.broker == friend and "顾问钱" in flag.reason and "孙先生" in flag.reason
    assert flag.reason.startswith("2 reports")


def test_a_device_of_another_organisations_staff_is_not_flagged(client, project, channel):
    rules_make(project, number_mode="full")
    elsewhere = ProjectFactory(organization=OrganizationFactory(name="别家"))
    outsider = make_staff(role="consultant", organization=elsewhere.organization, projects=[elsewhere])
    device = _staff_login_from(client, outsider)
    _report(project, broker_make(project.organization), "13812340001", device=device)
    assert _kinds(channel, FlagKind.STAFF_DEVICE) == []
