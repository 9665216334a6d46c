"""Who may see and do what: a broker sees only his own reports and never a number he did not give; staff act only
in their organisation and role."""

import pytest

from yunlou.accounts.tests.factories import make_staff
from yunlou.brokers.models import BrokerStatus, CommissionEntry, ReferralStatus
from yunlou.brokers.selectors import (
    broker_commission_list,
    broker_leaderboard,
    broker_referral_get,
    broker_referral_list,
    broker_team,
)
from yunlou.brokers.services.brokers import broker_status_set
from yunlou.brokers.services.commissions import referral_order_signed, referral_order_subscribed
from yunlou.brokers.services.referrals import referral_phone_display
from yunlou.brokers.services.rules import rules_set
from yunlou.brokers.services.settlements import settlement_create, settlement_pay
from yunlou.brokers.services.visits import pool_claim, referral_find, referral_visit_confirm, visit_register
from yunlou.brokers.staff_selectors import batch_get, broker_list, referral_by_code, referral_masked_phone
from yunlou.brokers.tests.factories import broker_make, customer_make, order_make, report, rules_make, staff_make
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.core.errors import Conflict, Forbidden, NotFound
from yunlou.launch.models import OrderStatus

pytestmark = pytest.mark.django_db

PHONE = "13812346621"
MASK = "138****6621"


@pytest.fixture
def stranger(db):
    """An administrator (every permission) of another developer."""
    other = ProjectFactory(name="别家楼盘")
    return make_staff(role="admin", organization=other.organization, projects=[other])


@pytest.fixture
def desk(project):
    return staff_make(project, "receptionist")


def test_a_broker_lists_and_opens_only_his_own_reports(project):
    rules_make(project, number_mode="full")
    zhao, qian = broker_make(project.organization), broker_make(project.organization)
    mine = report(zhao, project, "13800000001")
    theirs = report(qian, project, "13800000002")
    refused = report(qian, project, "13800000001")  # qian's refused try at zhao's customer
    assert [r.pk for r in broker_referral_list(broker=zhao)] == [mine.pk]
    assert {r.pk for r in broker_referral_list(broker=qian)} == {theirs.pk, refused.pk}
    assert broker_referral_get(broker=zhao, referral_id=mine.pk).pk == mine.pk
    for other in (theirs, refused):
        with pytest.raises(NotFound):
            broker_referral_get(broker=zhao, referral_id=other.pk)


def test_a_broker_of_another_organisation_sees_nothing_of_this_one(project, stranger):
    rules_make(project, number_mode="full")
    report(broker_make(project.organization), project, PHONE)
    outsider_broker = broker_make(stranger.organization)
    assert list(broker_referral_list(broker=outsider_broker)) == []
    assert broker_leaderboard(broker=outsider_broker) == []


def test_a_masked_report_stays_masked_for_its_broker_after_the_desk_typed_the_full_number(project, desk):
    rules_make(project, number_mode="m34")
    zhao = broker_make(project.organization)
    referral = report(zhao, project, MASK)
    referral_visit_confirm(staff=desk, referral_id=referral.pk, phone=PHONE)
    [seen] = broker_referral_list(broker=zhao)
    assert seen.status == ReferralStatus.VISITED
    assert referral_phone_display(seen) == MASK and seen.phone == ""


def test_a_refused_report_shows_the_broker_only_what_he_typed(project, desk):
    rules_make(project, number_mode="full")
    customer_make(project, PHONE, name="老客户")
    rules_make(project, number_mode="m34")
    qian = broker_make(project.organization)
    report(qian, project, PHONE)  # a full number in a masked project: masked at once
    [seen] = broker_referral_list(broker=qian)
    assert seen.status == ReferralStatus.REJECTED
    assert referral_phone_display(seen) == MASK and PHONE not in str(seen.__dict__.values())


def test_a_broker_sees_only_his_own_commissions_and_team(project, building, consultant, desk):
    rules_make(project, number_mode="full")
    zhao = broker_make(project.organization, upline=consultant.user)
    downline = broker_make(project.organization, upline=zhao.user)
    other = broker_make(project.organization)
    referral = report(downline, project, PHONE)
    referral_visit_confirm(staff=desk, referral_id=referral.pk)
    referral_order_subscribed(order_make(project, building.units.first(), phone=PHONE))
    assert {e.level for e in broker_commission_list(broker=downline)} == {1}
    assert {e.level for e in broker_commission_list(broker=zhao)} == {2}
    assert list(broker_commission_list(broker=other)) == []
    assert [b.pk for b in broker_team(broker=zhao)] == [downline.pk]
    assert list(broker_team(broker=other)) == []
    for row in broker_leaderboard(broker=other):
        assert "*" in row.name and PHONE not in row.name


def test_staff_pages_show_reported_numbers_masked(project, desk):
    rules_make(project, number_mode="full")
    referral = report(broker_make(project.organization), project, PHONE)
    assert referral_masked_phone(referral) != PHONE and referral_masked_phone(referral).endswith("6621")


def test_staff_of_another_organisation_get_not_found(project, building, desk, stranger):
    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, status=BrokerStatus.PENDING)
    active = broker_make(project.organization)
    referral = report(active, project, PHONE)
    with pytest.raises(NotFound):
        rules_set(staff=stranger, project_id=project.pk, values={"daily_cap": 1})
    with pytest.raises(NotFound):
        referral_visit_confirm(staff=stranger, referral_id=referral.pk)
    with pytest.raises(NotFound):
        referral_find(staff=stranger, project_id=project.pk, phone=PHONE)
    with pytest.raises(NotFound):
        visit_register(staff=stranger, project_id=project.pk, customer_name="刘", phone=PHONE)
    with pytest.raises(NotFound):
        broker_status_set(staff=stranger, broker_id=broker.pk, status=BrokerStatus.ACTIVE)
    with pytest.raises(NotFound):
        referral_by_code(staff=stranger, code=referral.visit_code)
    assert list(broker_list(staff=stranger)) == []
    referral_visit_confirm(staff=desk, referral_id=referral.pk)
    order = order_make(project, building.units.first(), phone=PHONE, status=OrderStatus.SIGNED)
    referral_order_subscribed(order)
    referral_order_signed(order)
    batch = settlement_create(staff=staff_make(project, "channel"),
                              entry_ids=list(CommissionEntry.objects.values_list("pk", flat=True)))
    with pytest.raises(NotFound):
        settlement_pay(staff=stranger, batch_id=batch.pk)
    with pytest.raises(NotFound):
        batch_get(staff=stranger, batch_id=batch.pk)
    with pytest.raises(Forbidden):
        settlement_create(staff=make_staff(role="receptionist", organization=stranger.organization),
                          entry_ids=[batch.entries.first().pk])
    with pytest.raises(Conflict):  # entries of another organisation are as good as missing
        settlement_create(staff=stranger, entry_ids=list(batch.entries.values_list("pk", flat=True)))
    batch.refresh_from_db()
    assert batch.status == "approved"


def test_a_receptionist_cannot_approve_brokers_nor_a_manager_set_rules(project, manager):
    broker = broker_make(project.organization, status=BrokerStatus.PENDING)
    with pytest.raises(NotFound):
        broker_status_set(staff=staff_make(project, "receptionist"), broker_id=broker.pk, status=BrokerStatus.ACTIVE)
    with pytest.raises(Forbidden):
        rules_set(staff=manager, project_id=project.pk, values={"daily_cap": 1})
    broker.refresh_from_db()
    assert broker.status == BrokerStatus.PENDING
    approved = broker_status_set(staff=staff_make(project, "channel"), broker_id=broker.pk,
                                 status=BrokerStatus.ACTIVE)
    assert approved.status == BrokerStatus.ACTIVE


def test_a_consultant_cannot_claim_from_another_projects_pool(project, consultant, stranger):
    from django.utils import timezone

    elsewhere = ProjectFactory(organization=project.organization, name="二期")
    theirs = customer_make(elsewhere, PHONE, pooled_at=timezone.now())
    with pytest.raises(NotFound):
        pool_claim(staff=consultant, customer_id=theirs.pk)
    other_org = customer_make(ProjectFactory(organization=stranger.organization), PHONE, pooled_at=timezone.now())
    with pytest.raises(NotFound):
        pool_claim(staff=make_staff(role="consultant", organization=project.organization, projects=[project]),
                   customer_id=other_org.pk)
    with pytest.raises(Forbidden):
        pool_claim(staff=staff_make(project, "receptionist"), customer_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.owner_id is None


def test_an_upline_earns_on_his_teams_deals_without_learning_their_customers(project, building, desk):
    from django.test import Client

    rules_make(project, number_mode="full")
    zhao = broker_make(project.organization, name="赵强")
    downline = broker_make(project.organization, upline=zhao.user, name="钱多多")
    referral = report(downline, project, PHONE, name="王秘密客户")
    referral_visit_confirm(staff=desk, referral_id=referral.pk)
    referral_order_subscribed(order_make(project, building.units.first(), phone=PHONE))
    [entry] = broker_commission_list(broker=zhao)
    assert entry.level == 2 and "王秘密客户" not in entry.subject and "钱**" in entry.subject
    client = Client()
    client.force_login(zhao.user)
    page = client.get("/b/commissions/").content.decode()
    api = client.get("/api/v1/brokers/commissions").content.decode()
    for answer in (page, api):
        assert "王秘密客户" not in answer and PHONE not in answer and "钱**" in answer
    [own] = broker_commission_list(broker=downline)
    assert own.subject == "王秘密客户"  # his own customer, by name
