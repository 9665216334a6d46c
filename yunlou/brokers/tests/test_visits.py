"""带看确认 at the desk, walk-ins, self check-in, the end of protection and the public pool (公海)."""

import datetime
import time
from unittest import mock

import pytest
from django.utils import timezone

from yunlou.brokers.models import Referral, ReferralStatus, RejectReason
from yunlou.brokers.services.referrals import broker_reject_message, referrals_expire
from yunlou.brokers.services.visits import (
    POOL_CLAIMS_PER_DAY,
    check_in_token,
    pool_claim,
    referral_check_in,
    referral_find,
    referral_visit_confirm,
    visit_register,
)
from yunlou.brokers.tests.factories import broker_make, customer_make, report, rules_make, staff_make
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from yunlou.crm.models import Customer, CustomerSource, Visit, VisitSource

pytestmark = pytest.mark.django_db

PHONE = "13812346621"
MASK = "138****6621"


@pytest.fixture
def desk(project):
    return staff_make(project, "receptionist")


@pytest.fixture
def zhao(project):
    return broker_make(project.organization, name="赵经纪")


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def test_the_desk_finds_a_report_by_its_visit_code_and_confirms_it(project, zhao, desk):
    rules_make(project, number_mode="full", protection_days=30)
    referral = report(zhao, project, PHONE)
    [found] = referral_find(staff=desk, project_id=project.pk, visit_code=referral.visit_code.lower() + " ")
    assert found.pk == referral.pk
    assert referral_find(staff=desk, project_id=project.pk, visit_code="NOSUCHCODE") == []
    now = timezone.now()
    visited = referral_visit_confirm(staff=desk, referral_id=found.pk, now=now)
    assert (visited.status, visited.visited_at, visited.visit_confirmed_by) == (ReferralStatus.VISITED, now,
                                                                                 desk.user)
    assert visited.protected_until == now + datetime.timedelta(days=30)
    customer = visited.customer
    assert (customer.phone, customer.first_visited_at, customer.source) == (PHONE, now, CustomerSource.REFERRAL)
    assert Visit.objects.get(customer=customer).source == VisitSource.REFERRAL
    assert referral_find(staff=desk, project_id=project.pk, visit_code=referral.visit_code) == []


@pytest.mark.parametrize("mode, shown", [("m34", MASK), ("m43", "1381****621")])
def test_a_masked_report_is_found_and_confirmed_by_the_full_number_typed_at_the_desk(project, zhao, desk, mode,
                                                                                     shown):
    rules_make(project, number_mode=mode)
    referral = report(zhao, project, shown)
    [found] = referral_find(staff=desk, project_id=project.pk, phone=PHONE)
    assert found.pk == referral.pk
    with pytest.raises(ValidationFailed) as missing:
        referral_visit_confirm(staff=desk, referral_id=referral.pk)
    assert missing.value.field == "phone"
    with pytest.raises(ValidationFailed) as mismatch:
        referral_visit_confirm(staff=desk, referral_id=referral.pk, phone="13912346621")
    assert (mismatch.value.field, mismatch.value.code) == ("phone", "phone_mismatch")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.REPORTED
    visited = referral_visit_confirm(staff=desk, referral_id=referral.pk, phone=PHONE)
    assert visited.status == ReferralStatus.VISITED and visited.customer.phone == PHONE


def test_a_visit_sooner_after_the_report_than_the_lead_time_is_refused_and_recorded(project, zhao, desk):
    rules_make(project, number_mode="full", lead_minutes=30)
    reported_at = timezone.now()
    referral = report(zhao, project, PHONE, now=reported_at)
    with pytest.raises(Conflict) as caught:
        referral_visit_confirm(staff=desk, referral_id=referral.pk, now=reported_at + minutes(29))
    assert caught.value.code == "at_the_door"
    referral.refresh_from_db()
    assert (referral.status, referral.reject_reason) == (ReferralStatus.REJECTED, RejectReason.AT_THE_DOOR)
    assert broker_reject_message(referral) == str(RejectReason.AT_THE_DOOR.label)
    assert not Customer.objects.exists()
    visit = visit_register(staff=desk, project_id=project.pk, customer_name="刘先生", phone=PHONE)
    assert visit.source == VisitSource.WALK_IN and visit.is_first


def test_a_visit_after_the_window_closed_expires_the_report_and_is_refused(project, zhao, desk):
    rules_make(project, number_mode="full", visit_window="hours", visit_window_value=2)
    reported_at = timezone.now() - datetime.timedelta(hours=1)
    referral = report(zhao, project, PHONE, now=reported_at)
    with pytest.raises(Conflict) as caught:
        referral_visit_confirm(staff=desk, referral_id=referral.pk, now=reported_at + minutes(120))
    assert caught.value.code == "window_closed"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
    with pytest.raises(Conflict) as again:
        referral_visit_confirm(staff=desk, referral_id=referral.pk, now=reported_at + minutes(121))
    assert again.value.code == "not_reported"


def test_the_desk_of_another_organisation_cannot_find_or_confirm(project, zhao, outsider):
    rules_make(project, number_mode="full")
    referral = report(zhao, project, PHONE)
    with pytest.raises(NotFound):
        referral_find(staff=outsider, project_id=project.pk, visit_code=referral.visit_code)
    with pytest.raises(NotFound):
        referral_visit_confirm(staff=outsider, referral_id=referral.pk)


def test_when_protection_ends_without_a_deal_the_customer_goes_to_the_pool_and_a_consultant_claims_him(
        project, zhao, desk, consultant):
    rules_make(project, number_mode="full", protection_days=10)
    referral = report(zhao, project, PHONE)
    visited_at = timezone.now()
    referral = referral_visit_confirm(staff=desk, referral_id=referral.pk, now=visited_at)
    assert referrals_expire(now=visited_at + datetime.timedelta(days=9)) == 0
    assert referrals_expire(now=visited_at + datetime.timedelta(days=10)) == 1
    referral.refresh_from_db()
    customer = Customer.objects.get(pk=referral.customer_id)
    assert referral.status == ReferralStatus.EXPIRED
    assert customer.pooled_at == visited_at + datetime.timedelta(days=10) and customer.owner_id is None
    claimed = pool_claim(staff=consultant, customer_id=customer.pk)
    assert (claimed.owner_id, claimed.pooled_at) == (consultant.user.pk, None)
    with pytest.raises(NotFound):
        pool_claim(staff=consultant, customer_id=customer.pk)


def test_the_deal_period_also_ends_protection(project, zhao, desk):
    rules_make(project, number_mode="full", protection_days=60, deal_days=20)
    reported_at = timezone.now()
    referral = report(zhao, project, PHONE, now=reported_at)
    referral_visit_confirm(staff=desk, referral_id=referral.pk, now=reported_at + datetime.timedelta(days=1))
    assert referrals_expire(now=reported_at + datetime.timedelta(days=20)) == 1


def test_a_visited_claim_without_a_deal_period_is_still_the_brokers_own_while_protected(project, zhao, desk):
    """No deal period (deal_days 0): the claim's deal deadline is unset, and an unset deadline never lapses —
    reporting the person again is the broker's own repeat, not somebody else's protection."""
    rules_make(project, number_mode="full", protection_days=30, deal_days=0)
    referral = report(zhao, project, PHONE)
    visited = referral_visit_confirm(staff=desk, referral_id=referral.pk)
    assert visited.deal_deadline is None
    again = report(zhao, project, PHONE)
    assert (again.status, again.reject_reason) == (ReferralStatus.REJECTED, RejectReason.OWN_REPEAT)


def test_pool_claims_are_capped_per_consultant_per_day(project, consultant, second_consultant):
    now = timezone.now()
    pooled = [customer_make(project, f"1380000{i:04d}", pooled_at=now) for i in range(POOL_CLAIMS_PER_DAY + 1)]
    for customer in pooled[:POOL_CLAIMS_PER_DAY]:
        pool_claim(staff=consultant, customer_id=customer.pk, now=now)
    with pytest.raises(RateLimited) as caught:
        pool_claim(staff=consultant, customer_id=pooled[-1].pk, now=now)
    assert caught.value.code == "pool_cap"
    assert pool_claim(staff=second_consultant, customer_id=pooled[-1].pk).owner_id == second_consultant.user.pk


def test_a_customer_not_in_the_pool_cannot_be_claimed(project, consultant):
    customer = customer_make(project, PHONE)
    with pytest.raises(NotFound):
        pool_claim(staff=consultant, customer_id=customer.pk)


def test_a_walk_in_is_registered_and_then_cannot_be_reported(project, zhao, desk):
    rules_make(project, number_mode="m34")
    visit = visit_register(staff=desk, project_id=project.pk, customer_name="刘先生", phone=PHONE)
    assert visit.is_first and visit.customer.source == CustomerSource.WALK_IN
    again = visit_register(staff=desk, project_id=project.pk, customer_name="刘先生", phone=PHONE)
    assert not again.is_first and again.customer_id == visit.customer_id
    refused = report(zhao, project, MASK)
    assert refused.reject_reason == RejectReason.ALREADY_VISITED
    with pytest.raises(ValidationFailed) as caught:
        visit_register(staff=desk, project_id=project.pk, customer_name="", phone=PHONE)
    assert caught.value.field == "customer_name"


def test_the_customer_checks_in_himself_when_exactly_one_report_awaits_him(project, zhao):
    rules_make(project, number_mode="m34", lead_minutes=30)
    reported_at = timezone.now() - datetime.timedelta(hours=1)
    referral = report(zhao, project, MASK, now=reported_at)
    assert referral_check_in(project_id=project.pk, token=office_qr(project), phone="13912346621") is None
    assert referral_check_in(project_id=project.pk, token=office_qr(project), phone=PHONE,
                             now=reported_at + minutes(10)) is None
    visited = referral_check_in(project_id=project.pk, token=office_qr(project), phone=PHONE)
    assert visited.pk == referral.pk and visited.status == ReferralStatus.VISITED
    assert Visit.objects.get(customer=visited.customer).source == VisitSource.CHECK_IN
    assert referral_check_in(project_id=project.pk, token=office_qr(project), phone=PHONE) is None


def test_a_check_in_needs_the_office_qr_of_this_project_and_of_the_last_minutes(project, zhao):
    rules_make(project, number_mode="m34", lead_minutes=0)
    referral = report(zhao, project, MASK, now=timezone.now() - datetime.timedelta(hours=1))
    other = ProjectFactory(organization=project.organization, name="别的项目")
    with mock.patch("time.time", return_value=time.time() - 16 * 60):  # a photo of the QR, sent home
        stale = office_qr(project)
    for token in ("", "forged", office_qr(other), stale):
        with pytest.raises(ValidationFailed) as refused:
            referral_check_in(project_id=project.pk, token=token, phone=PHONE)
        assert refused.value.field == "token"
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.REPORTED


def office_qr(project) -> str:
    return check_in_token(project_id=project.pk)


def test_check_in_leaves_the_choice_to_the_desk_when_several_reports_await_him(project, zhao):
    rules_make(project, number_mode="m34", visit_is_king=True)
    report(zhao, project, MASK)
    report(broker_make(project.organization), project, MASK)
    assert referral_check_in(project_id=project.pk, token=office_qr(project), phone=PHONE) is None
    assert not Referral.objects.filter(status=ReferralStatus.VISITED).exists()
