"""The referral network in the admin: read-only where money and claims live, numbers and bank accounts masked."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import make_staff
from yunlou.brokers.models import Agency
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.tests.factories import broker_make, rules_make
from yunlou.core.admin_scope import ORGANIZATION_ADMIN_GROUP

pytestmark = pytest.mark.django_db
FULL = "13812346621"
ACCOUNT = "6222020200112233445"


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_admin(client, project):
    user = make_staff(role=Role.ADMIN, organization=project.organization).user
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=ORGANIZATION_ADMIN_GROUP))
    client.force_login(user)
    return client


def test_a_brokers_bank_account_shows_masked(org_admin, project):
    broker = broker_make(project.organization, bank_name="工商银行", bank_account=ACCOUNT)
    page = org_admin.get(reverse("admin:brokers_broker_change", args=[broker.pk])).content.decode()
    assert "**** 3445" in page and ACCOUNT not in page


def test_a_referral_shows_the_number_masked(org_admin, project):
    rules_make(project, number_mode="full")
    referral = referral_create(user=broker_make(project.organization).user, project_id=project.pk,
                               customer_name="刘先生", phone=FULL)
    for url in (reverse("admin:brokers_referral_changelist"),
                reverse("admin:brokers_referral_change", args=[referral.pk])):
        page = org_admin.get(url).content.decode()
        assert "138****6621" in page and FULL not in page and referral.visit_code not in page


@pytest.mark.parametrize("model", ["broker", "referral", "commissionentry", "settlementbatch", "referralrules"])
def test_money_and_claims_cannot_be_added_in_the_admin(org_admin, model):
    assert org_admin.get(reverse(f"admin:brokers_{model}_add")).status_code == 403


def test_an_organisation_admin_adds_an_agency_to_their_own_organisation(org_admin, project):
    response = org_admin.post(reverse("admin:brokers_agency_add"), {"name": "链家某店", "created_at_0": "2026-01-01",
                                                                    "created_at_1": "10:00:00"})
    assert response.status_code == 302
    assert Agency.objects.get().organization == project.organization
