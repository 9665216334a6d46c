"""A report is written as the ORM would write it, whichever way it goes in (on PostgreSQL the report and its audit
row are one hand-built statement): the number encrypted, every column set, the audit row pointing at it."""

import pytest

from yunlou.brokers.models import Referral, ReferralStatus
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.tests.factories import broker_make, rules_make
from yunlou.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_a_full_number_report_is_stored_encrypted_and_audited_against_its_own_row(project):
    rules = rules_make(project, number_mode="full")
    broker = broker_make(project.organization)
    referral = referral_create(user=broker.user, project_id=project.pk, customer_name="刘先生",
                               phone="+86 138-1234-6621", ip="10.1.2.3")
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.phone, stored.rules, stored.broker, stored.ip) == (
        ReferralStatus.REPORTED, "13812346621", rules, broker, "10.1.2.3")
    assert stored.visit_code == referral.visit_code and stored.visit_deadline == referral.visit_deadline
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM brokers_referral WHERE id = %s", [referral.pk])
        [raw] = cursor.fetchone()
    assert "13812346621" not in raw  # a Fernet token, not the number
    entry = AuditLog.objects.get(action="referral.create")
    assert (entry.target_type, entry.target_id, entry.project_id, entry.organization_id, entry.actor) == (
        "brokers.referral", str(referral.pk), project.pk, project.organization_id, broker.user)
    assert entry.target_label == str(stored) and entry.changes == {"status": "reported", "reason": ""}


def test_a_refused_report_is_audited_with_its_reason(project):
    rules_make(project, number_mode="m34")
    first, second = broker_make(project.organization), broker_make(project.organization)
    referral_create(user=first.user, project_id=project.pk, customer_name="刘先生", phone="138****6621")
    refused = referral_create(user=second.user, project_id=project.pk, customer_name="刘", phone="13812346621")
    assert (refused.status, refused.reject_reason, refused.phone) == (ReferralStatus.REJECTED, "protected", "")
    entry = AuditLog.objects.get(action="referral.create", target_id=str(refused.pk))
    assert entry.changes == {"status": "rejected", "reason": "protected"}
