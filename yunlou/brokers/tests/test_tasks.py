"""The beat sweep expires reports whose visit window closed, even with nobody looking at them."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from yunlou.brokers.models import Referral, ReferralStatus
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.tasks import referrals_expire
from yunlou.brokers.tests.factories import broker_make, rules_make

pytestmark = pytest.mark.django_db


def test_the_beat_sweep_expires_a_report_whose_visit_window_closed(project):
    rules_make(project, number_mode="full", visit_window="hours", visit_window_value=2,
               at=timezone.now() - datetime.timedelta(days=1))
    broker = broker_make(project.organization)
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    stale = referral_create(user=broker.user, project_id=project.pk, customer_name="刘先生", phone="13812346621",
                            now=long_ago)
    fresh = referral_create(user=broker.user, project_id=project.pk, customer_name="李女士", phone="13812346622")
    assert settings.CELERY_BEAT_SCHEDULE["referrals-expire"]["task"] == referrals_expire.name
    assert referrals_expire.delay().get() == 1
    assert Referral.objects.get(pk=stale.pk).status == ReferralStatus.EXPIRED
    assert Referral.objects.get(pk=fresh.pk).status == ReferralStatus.REPORTED
