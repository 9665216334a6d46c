"""Two brokers reporting one person for one project at the same instant, on real parallel PostgreSQL
connections: exactly one report is valid, the other is refused."""

import pytest

from yunlou.brokers.models import Referral, ReferralStatus, RejectReason
from yunlou.brokers.tests.factories import broker_make, report, rules_make
from yunlou.core.tests.concurrency import postgres_only, race

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]

ROUNDS = 6


def _one_valid_one_refused(outcomes):
    assert all(isinstance(outcome, Referral) for outcome in outcomes), outcomes
    statuses = sorted(outcome.status for outcome in outcomes)
    assert statuses == [ReferralStatus.REJECTED, ReferralStatus.REPORTED], outcomes
    [refused] = [o for o in outcomes if o.status == ReferralStatus.REJECTED]
    assert refused.reject_reason == RejectReason.PROTECTED


@pytest.mark.parametrize("mode, forms", [
    ("full", (lambda n: n, lambda n: n)),
    ("m34", (lambda n: n, lambda n: f"{n[:3]}****{n[-4:]}")),  # one types it all, the other the mask
    ("m43", (lambda n: f"{n[:4]}****{n[-3:]}", lambda n: f"{n[:4]}****{n[-3:]}")),
])
def test_two_brokers_reporting_one_number_at_once_yield_exactly_one_valid_report(project, mode, forms):
    rules_make(project, number_mode=mode, daily_cap=0)
    zhao, qian = broker_make(project.organization), broker_make(project.organization)
    for round_ in range(ROUNDS):
        number = f"1381234{round_:04d}"
        outcomes = race(lambda n=number: report(zhao, project, forms[0](n)),
                        lambda n=number: report(qian, project, forms[1](n)))
        _one_valid_one_refused(outcomes)
    assert Referral.objects.filter(status=ReferralStatus.REPORTED).count() == ROUNDS
    assert Referral.objects.filter(status=ReferralStatus.REJECTED).count() == ROUNDS


def test_four_brokers_at_once_with_a_daily_cap_still_yield_one_valid_report(project):
    rules_make(project, number_mode="m34", daily_cap=5)
    brokers = [broker_make(project.organization) for _ in range(4)]
    for round_ in range(3):
        number = f"1391234{round_:04d}"
        outcomes = race(*[lambda b=b, n=number: report(b, project, n) for b in brokers])
        assert all(isinstance(outcome, Referral) for outcome in outcomes), outcomes
        assert sum(outcome.status == ReferralStatus.REPORTED for outcome in outcomes) == 1
