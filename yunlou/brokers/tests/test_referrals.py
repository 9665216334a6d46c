"""报备: the protection check, lead time, visit windows, expiry, 到访为王, caps and rule versions."""

import datetime
import zoneinfo

import pytest

from yunlou.brokers.models import BrokerStatus, Referral, ReferralStatus, RejectReason
from yunlou.brokers.services.referrals import (
    broker_reject_message,
    referral_create,
    referral_phone_display,
    referrals_expire,
)
from yunlou.brokers.services.visits import referral_visit_confirm
from yunlou.brokers.tests.factories import broker_make, customer_make, report, rules_make, staff_make
from yunlou.core.errors import Conflict, Forbidden, RateLimited, ValidationFailed

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PHONE = "13812346621"
MASK = "138****6621"


def local(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2030, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def desk(project):
    return staff_make(project, "receptionist")


@pytest.fixture
def zhao(project):
    return broker_make(project.organization, name="赵经纪")


@pytest.fixture
def qian(project):
    return broker_make(project.organization, name="钱经纪")


def test_a_valid_report_opens_its_window_and_gets_a_visit_code(project, zhao):
    rules_make(project, number_mode="full", visit_window_value=7)
    referral = report(zhao, project, PHONE, now=local(1, 10))
    assert referral.status == ReferralStatus.REPORTED
    assert referral.visit_code and len(referral.visit_code) == 10
    assert referral.visit_deadline == local(8, 10)
    assert referral_phone_display(referral) == PHONE


@pytest.mark.parametrize("mode, first, second", [("full", PHONE, PHONE), ("m34", MASK, PHONE), ("m34", PHONE, MASK),
                                                 ("m43", "1381****621", "1381****621")])
def test_another_brokers_reported_claim_blocks_full_and_masked_numbers(project, zhao, qian, mode, first, second):
    rules_make(project, number_mode=mode)
    assert report(zhao, project, first).status == ReferralStatus.REPORTED
    refused = report(qian, project, second)
    assert (refused.status, refused.reject_reason) == (ReferralStatus.REJECTED, RejectReason.PROTECTED)
    assert refused.visit_code is None and refused.visit_deadline is None


def test_another_brokers_visited_claim_blocks_and_the_refusal_says_only_protected(project, zhao, qian, desk):
    rules_make(project, number_mode="m34")
    first = report(zhao, project, MASK, name="刘先生")
    referral_visit_confirm(staff=desk, referral_id=first.pk, phone=PHONE)
    refused = report(qian, project, MASK, name="刘")
    assert refused.reject_reason == RejectReason.ALREADY_VISITED  # kept for the channel manager
    message = broker_reject_message(refused)
    assert message == str(RejectReason.PROTECTED.label)
    for secret in ("赵", "刘先生", "visited", "到访", PHONE):
        assert secret not in message


@pytest.mark.parametrize("mode, phone", [("full", PHONE), ("m34", MASK), ("m43", "1381****621")])
def test_a_lead_or_customer_of_the_project_cannot_be_reported(project, zhao, mode, phone):
    customer_make(project, PHONE)
    rules_make(project, number_mode=mode)
    refused = report(zhao, project, phone)
    assert (refused.status, refused.reject_reason) == (ReferralStatus.REJECTED, RejectReason.PROTECTED)
    assert broker_reject_message(refused) == str(RejectReason.PROTECTED.label)


def test_a_customer_of_another_project_does_not_block(project, zhao):
    from yunlou.catalogue.tests.factories import ProjectFactory

    customer_make(ProjectFactory(organization=project.organization), PHONE)
    rules_make(project, number_mode="full")
    assert report(zhao, project, PHONE).status == ReferralStatus.REPORTED


def test_the_broker_reporting_his_own_customer_again_is_told_so(project, zhao):
    rules_make(project, number_mode="m34")
    report(zhao, project, MASK)
    again = report(zhao, project, PHONE)
    assert again.reject_reason == RejectReason.OWN_REPEAT
    assert broker_reject_message(again) == str(RejectReason.OWN_REPEAT.label)


@pytest.mark.parametrize("allowed", [True, False])
def test_reporting_again_after_ones_report_lapsed_follows_repeat_allowed(project, zhao, allowed):
    rules_make(project, number_mode="full", repeat_allowed=allowed, visit_window_value=3)
    report(zhao, project, PHONE, now=local(1, 10))
    again = report(zhao, project, PHONE, now=local(5, 10))
    assert Referral.objects.filter(status=ReferralStatus.EXPIRED).count() == 1
    if allowed:
        assert again.status == ReferralStatus.REPORTED
    else:
        assert (again.status, again.reject_reason) == (ReferralStatus.REJECTED, RejectReason.OWN_REPEAT)


def test_an_intended_visit_sooner_than_the_lead_time_is_refused_naming_the_field(project, zhao):
    rules_make(project, number_mode="full", lead_minutes=60)
    now = local(1, 10)
    with pytest.raises(ValidationFailed) as caught:
        report(zhao, project, PHONE, now=now, intended_visit_at=now + datetime.timedelta(minutes=59))
    assert (caught.value.field, caught.value.code) == ("intended_visit_at", "lead_time")
    assert not Referral.objects.exists()
    ok = report(zhao, project, PHONE, now=now, intended_visit_at=now + datetime.timedelta(minutes=60))
    assert ok.status == ReferralStatus.REPORTED


def test_an_intended_visit_after_the_window_is_refused(project, zhao):
    rules_make(project, number_mode="full", visit_window="hours", visit_window_value=4)
    with pytest.raises(ValidationFailed) as caught:
        report(zhao, project, PHONE, now=local(1, 10), intended_visit_at=local(1, 14, 1))
    assert (caught.value.field, caught.value.code) == ("intended_visit_at", "visit_window")


@pytest.mark.parametrize("window, value, until, reported, deadline", [
    ("days", 3, None, local(1, 10), local(4, 10)),
    ("hours", 6, None, local(1, 21), local(2, 3)),
    ("until", 0, datetime.time(20, 0), local(1, 10), local(1, 20)),
    ("until", 0, datetime.time(20, 0), local(1, 20, 30), local(2, 20)),  # already passed today: tomorrow
    ("until", 0, datetime.time(2, 0), local(1, 23), local(2, 2)),
])
def test_visit_windows_by_days_hours_and_time_of_day(project, zhao, window, value, until, reported, deadline):
    rules_make(project, number_mode="full", visit_window=window, visit_window_value=value, visit_until=until)
    assert report(zhao, project, PHONE, now=reported).visit_deadline == deadline


def test_the_sweep_expires_lapsed_reports(project, zhao):
    rules_make(project, number_mode="full", visit_window="hours", visit_window_value=2)
    referral = report(zhao, project, PHONE, now=local(1, 10))
    assert referrals_expire(now=local(1, 11, 59)) == 0
    assert referrals_expire(now=local(1, 12)) == 1
    referral.refresh_from_db()
    assert (referral.status, referral.ended_at) == (ReferralStatus.EXPIRED, local(1, 12))


def test_a_lapsed_report_no_longer_blocks_another_broker_without_any_sweep(project, zhao, qian):
    rules_make(project, number_mode="m34", visit_window_value=2)
    first = report(zhao, project, MASK, now=local(1, 10))
    assert report(qian, project, MASK, now=local(3, 9, 59)).status == ReferralStatus.REJECTED
    second = report(qian, project, PHONE, now=local(3, 10))
    assert second.status == ReferralStatus.REPORTED
    first.refresh_from_db()
    assert first.status == ReferralStatus.EXPIRED


def test_visit_is_king_accepts_several_reports_and_the_first_confirmed_visit_wins(project, zhao, qian, desk):
    rules_make(project, number_mode="m34", visit_is_king=True)
    sun = broker_make(project.organization, name="孙经纪")
    reports = [report(b, project, MASK) for b in (zhao, qian, sun)]
    assert [r.status for r in reports] == [ReferralStatus.REPORTED] * 3
    assert not any(r.is_exclusive for r in reports)
    won = referral_visit_confirm(staff=desk, referral_id=reports[1].pk, phone=PHONE)
    assert won.status == ReferralStatus.VISITED
    statuses = dict(Referral.objects.values_list("broker_id", "status"))
    assert statuses == {zhao.pk: ReferralStatus.REJECTED, qian.pk: ReferralStatus.VISITED,
                        sun.pk: ReferralStatus.REJECTED}
    with pytest.raises(Conflict):
        referral_visit_confirm(staff=desk, referral_id=reports[0].pk, phone=PHONE)
    assert report(broker_make(project.organization), project, MASK).status == ReferralStatus.REJECTED


def test_an_exclusive_report_made_before_the_switch_to_visit_is_king_still_blocks(project, zhao, qian):
    rules_make(project, number_mode="full", visit_is_king=False)
    report(zhao, project, PHONE)
    rules_make(project, number_mode="full", visit_is_king=True)
    refused = report(qian, project, PHONE)
    assert (refused.status, refused.reject_reason) == (ReferralStatus.REJECTED, RejectReason.PROTECTED)


def test_the_daily_cap_counts_every_attempt_of_the_broker(project, zhao):
    rules_make(project, number_mode="full", daily_cap=2)
    report(zhao, project, "13800000001", now=local(1, 10))
    report(zhao, project, "13800000001", now=local(1, 10, 1))  # his own repeat, refused, still counts
    with pytest.raises(RateLimited) as caught:
        report(zhao, project, "13800000002", now=local(1, 10, 2))
    assert caught.value.code == "daily_cap"
    assert Referral.objects.count() == 2
    other = broker_make(project.organization)
    assert report(other, project, "13800000003", now=local(1, 10, 3)).status == ReferralStatus.REPORTED


def test_the_daily_cap_is_counted_per_day_in_shanghai_not_utc(project, zhao):
    rules_make(project, number_mode="full", daily_cap=2)
    report(zhao, project, "13800000001", now=local(1, 7))  # 23:00 UTC the day before
    report(zhao, project, "13800000002", now=local(1, 9))  # 01:00 UTC
    with pytest.raises(RateLimited):
        report(zhao, project, "13800000003", now=local(1, 23, 30))
    assert report(zhao, project, "13800000003", now=local(2, 0, 30)).status == ReferralStatus.REPORTED


def test_a_report_keeps_the_rules_version_in_force_when_it_was_made(project, zhao, desk):
    v1 = rules_make(project, number_mode="full", visit_window_value=7, protection_days=30, lead_minutes=0)
    referral = report(zhao, project, PHONE, now=local(1, 10))
    v2 = rules_make(project, number_mode="m34", visit_window="hours", visit_window_value=1, protection_days=5,
                    lead_minutes=600)
    referral.refresh_from_db()
    assert referral.rules_id == v1.pk and referral.visit_deadline == local(8, 10)
    visited = referral_visit_confirm(staff=desk, referral_id=referral.pk, now=local(3, 10))
    assert visited.status == ReferralStatus.VISITED  # v2's lead time and 1-hour window do not apply
    assert visited.protected_until == local(3, 10) + datetime.timedelta(days=30)
    assert report(broker_make(project.organization), project, PHONE, now=local(3, 11)).rules_id == v2.pk


@pytest.mark.parametrize("status", [BrokerStatus.PENDING, BrokerStatus.FROZEN])
def test_an_inactive_or_frozen_broker_cannot_report(project, status):
    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, status=status)
    with pytest.raises(Forbidden) as caught:
        report(broker, project, PHONE)
    assert caught.value.code == "broker_inactive"
    assert not Referral.objects.exists()


def test_a_broker_of_another_organisation_cannot_report(project, outsider):
    rules_make(project, number_mode="full")
    broker = broker_make(outsider.organization)
    with pytest.raises(Forbidden):
        report(broker, project, PHONE)


def test_a_project_without_rules_or_closed_takes_no_reports(project, zhao):
    with pytest.raises(Conflict) as caught:
        report(zhao, project, PHONE)
    assert caught.value.code == "reports_closed"
    rules_make(project, number_mode="full", is_open=False)
    with pytest.raises(Conflict):
        report(zhao, project, PHONE)
    assert not Referral.objects.exists()


def test_a_customer_name_is_required_and_short(project, zhao):
    rules_make(project, number_mode="full")
    with pytest.raises(ValidationFailed) as caught:
        report(zhao, project, PHONE, name=" \x00 ")
    assert caught.value.field == "customer_name"
    with pytest.raises(ValidationFailed):
        report(zhao, project, PHONE, name="刘" * 31)


@pytest.mark.parametrize("mode, typed", [("full", "13812346621"), ("m34", "138****6621"), ("m43", "1381****621")])
def test_a_pledged_buyer_is_the_projects_customer_and_cannot_be_reported(project, mode, typed):
    from yunlou.launch.models import PledgeStatus
    from yunlou.launch.tests.factories import pledge_make

    rules_make(project, number_mode=mode)
    pledge = pledge_make(project, phone="13812346621")
    broker = broker_make(project.organization)
    refused = referral_create(user=broker.user, project_id=project.pk, customer_name="刘", phone=typed)
    assert (refused.status, refused.reject_reason) == (ReferralStatus.REJECTED, RejectReason.PROTECTED)
    pledge.status = PledgeStatus.REFUNDED  # 退筹: no longer anyone's customer through the pledge
    pledge.save()
    accepted = referral_create(user=broker_make(project.organization).user, project_id=project.pk,
                               customer_name="刘", phone=typed)
    assert accepted.status == ReferralStatus.REPORTED


def test_imported_pledges_carry_the_masked_keys_too(project, manager):
    from yunlou.core.phone import masked_keys
    from yunlou.launch.models import Pledge
    from yunlou.launch.services.pledges import pledge_import
    from yunlou.launch.tests.factories import id_number_for

    pledge_import(staff=manager, project_id=project.pk, rows=[
        {"row": 2, "name": "刘先生", "phone": "13812346621", "id_number": id_number_for(501), "amount": "50000"}])
    pledge = Pledge.objects.get(project=project)
    assert (pledge.phone_key_34, pledge.phone_key_43) == masked_keys("13812346621")
