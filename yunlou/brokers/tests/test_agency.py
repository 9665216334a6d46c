"""An agency (中介公司) sees its own agents only: its manager reads his agency's agents with their counts and
commissions and their reports with the customers' numbers masked, never another agency's agents, independent
brokers or another organisation's; an ordinary agent finds no agency (404) on the pages and the API."""

import pytest
from django.test import Client
from django.utils import timezone, translation

from yunlou.brokers.models import Agency, CommissionEntry, EntryStatus, Referral, ReferralStatus, Stage
from yunlou.brokers.selectors import agency_agents, agency_referrals
from yunlou.brokers.tests.factories import broker_make, report, rules_make
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.core.errors import NotFound

pytestmark = pytest.mark.django_db

MANAGER_PHONE = "13811110001"
AGENT_PHONE = "13811110002"
SECOND_AGENT_PHONE = "13811110003"
RIVAL_PHONE = "13811110004"
INDEPENDENT_PHONE = "13811110005"
OUTSIDER_PHONE = "13811110006"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def agency_make(organization, name: str, *, manager_name: str, agent_names: tuple[str, ...] = ()):
    agency = Agency.objects.create(organization=organization, name=name)
    manager = broker_make(organization, name=manager_name, agency=agency, is_agency_manager=True)
    agents = [broker_make(organization, name=agent_name, agency=agency) for agent_name in agent_names]
    return manager, agents


@pytest.fixture
def world(project):
    """链家 (manager 周店长, agents 吴 and 郑) and 我爱我家 (manager 冯店长, agent 陈) in the project's organisation,
    an independent broker 褚, and another developer's agency reporting the same numbers in its own project."""
    rules_make(project, number_mode="full")
    manager, (wu, zheng) = agency_make(project.organization, "链家", manager_name="周店长",
                                       agent_names=("吴经纪", "郑经纪"))
    rival_manager, (chen,) = agency_make(project.organization, "我爱我家", manager_name="冯店长",
                                         agent_names=("陈经纪",))
    independent = broker_make(project.organization, name="褚散户")
    elsewhere = ProjectFactory(name="别家楼盘")
    rules_make(elsewhere, number_mode="full")
    outsider_manager, (outsider_agent,) = agency_make(elsewhere.organization, "链家", manager_name="卫店长",
                                                      agent_names=("蒋经纪",))
    reports = {
        "manager": report(manager, project, MANAGER_PHONE),
        "wu": report(wu, project, AGENT_PHONE),
        "zheng": report(zheng, project, SECOND_AGENT_PHONE),
        "chen": report(chen, project, RIVAL_PHONE),
        "independent": report(independent, project, INDEPENDENT_PHONE),
        "outsider": report(outsider_agent, elsewhere, OUTSIDER_PHONE),
    }
    return {"manager": manager, "wu": wu, "zheng": zheng, "rival_manager": rival_manager, "chen": chen,
            "independent": independent, "outsider_manager": outsider_manager, "outsider_agent": outsider_agent,
            "reports": reports, "project": project}


def as_broker(broker) -> Client:
    client = Client()
    client.force_login(broker.user)
    return client


def test_an_agency_manager_sees_his_agents_and_himself_with_their_counts(world):
    rows = agency_agents(broker=world["manager"])
    assert [row.broker.real_name for row in rows] == ["周店长", "吴经纪", "郑经纪"]
    assert all(row.report_count == 1 for row in rows)
    assert all(row.visit_count == 0 and row.deal_count == 0 for row in rows)


def test_visits_deals_and_commissions_are_counted_per_agent_without_multiplying(world):
    wu, now = world["wu"], timezone.now()
    second = report(wu, world["project"], "13811110009")
    Referral.objects.filter(pk=world["reports"]["wu"].pk).update(status=ReferralStatus.SUBSCRIBED, visited_at=now)
    Referral.objects.filter(pk=second.pk).update(status=ReferralStatus.VISITED, visited_at=now)
    for referral, amount, status in ((world["reports"]["wu"], 500_00, EntryStatus.PENDING),
                                     (second, 200_00, EntryStatus.PAYABLE)):
        CommissionEntry.objects.create(organization=wu.organization, referral=referral, deal_key="visit",
                                       beneficiary=wu.user, level=1, stage=Stage.VISIT, amount=amount, status=status)
    CommissionEntry.objects.create(organization=wu.organization, referral=second, deal_key="visit",
                                   beneficiary=world["manager"].user, level=2, stage=Stage.VISIT, amount=20_00)

    rows = {row.broker.pk: row for row in agency_agents(broker=world["manager"])}
    assert (rows[wu.pk].report_count, rows[wu.pk].visit_count, rows[wu.pk].deal_count) == (2, 2, 1)
    assert (rows[wu.pk].commissions.pending, rows[wu.pk].commissions.payable) == (500_00, 200_00)
    assert rows[world["manager"].pk].commissions.pending == 20_00
    assert rows[world["zheng"].pk].commissions.pending == 0


def test_an_agency_manager_reads_his_agents_reports_with_masked_numbers_only(world):
    rows = agency_referrals(broker=world["manager"])
    by_agent = {row.agent_name: row.phone for row in rows}
    assert by_agent == {"周店长": MANAGER_PHONE, "吴经纪": "138****0002", "郑经纪": "138****0003"}


def test_a_report_made_with_a_masked_number_shows_its_mask_to_the_manager(world):
    masked_project = ProjectFactory(organization=world["project"].organization, name="云栖府二期")
    rules_make(masked_project, number_mode="m43")
    referral = report(world["wu"], masked_project, "1381****007")
    rows = {row.referral.pk: row.phone for row in agency_referrals(broker=world["manager"])}
    assert rows[referral.pk] == "1381****007"


def test_an_agency_manager_filters_the_reports_by_agent(world):
    rows = agency_referrals(broker=world["manager"], agent_id=world["zheng"].pk)
    assert [row.referral.pk for row in rows] == [world["reports"]["zheng"].pk]


def test_an_agency_manager_sees_no_other_agency_nor_independent_brokers(world):
    manager = world["manager"]
    agents = {row.broker.pk for row in agency_agents(broker=manager)}
    assert not agents & {world["rival_manager"].pk, world["chen"].pk, world["independent"].pk,
                         world["outsider_manager"].pk, world["outsider_agent"].pk}
    seen = {row.referral.pk for row in agency_referrals(broker=manager)}
    assert not seen & {world["reports"][key].pk for key in ("chen", "independent", "outsider")}
    for foreign in (world["chen"], world["independent"], world["outsider_agent"]):
        assert agency_referrals(broker=manager, agent_id=foreign.pk) == []


def test_a_manager_of_another_organisations_agency_sees_nothing_of_this_one(world):
    outsider = world["outsider_manager"]
    assert [row.broker.pk for row in agency_agents(broker=outsider)] == [outsider.pk, world["outsider_agent"].pk]
    assert [row.referral.pk for row in agency_referrals(broker=outsider)] == [world["reports"]["outsider"].pk]
    assert agency_referrals(broker=outsider, agent_id=world["wu"].pk) == []


def test_an_ordinary_agent_and_an_independent_broker_find_no_agency(world):
    for broker in (world["wu"], world["independent"]):
        with pytest.raises(NotFound):
            agency_agents(broker=broker)
        with pytest.raises(NotFound):
            agency_referrals(broker=broker)


def test_the_agency_pages_show_the_manager_his_agents_and_masked_numbers(world):
    client, org = as_broker(world["manager"]), world["manager"].organization_id
    home = client.get(f"/b/?org={org}")
    assert home.status_code == 200 and b'data-testid="agency-link"' in home.content
    page = client.get(f"/b/agency/?org={org}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "吴经纪" in text and "郑经纪" in text
    assert "陈经纪" not in text and "褚散户" not in text and "蒋经纪" not in text
    reports = client.get(f"/b/agency/reports/?org={org}").content.decode()
    assert "138****0002" in reports and "138****0003" in reports
    for hidden in (AGENT_PHONE, SECOND_AGENT_PHONE, RIVAL_PHONE, INDEPENDENT_PHONE, OUTSIDER_PHONE, "138****0004"):
        assert hidden not in reports
    one = client.get(f"/b/agency/reports/?org={org}&agent={world['wu'].pk}").content.decode()
    assert "138****0002" in one and "138****0003" not in one


def test_an_ordinary_agent_gets_404_on_the_agency_pages_and_no_link(world):
    client, org = as_broker(world["wu"]), world["wu"].organization_id
    assert b'data-testid="agency-link"' not in client.get(f"/b/?org={org}").content
    assert client.get(f"/b/agency/?org={org}").status_code == 404
    assert client.get(f"/b/agency/reports/?org={org}").status_code == 404


def test_the_agency_api_answers_the_manager_with_masked_numbers(world):
    client = as_broker(world["manager"])
    agents = client.get("/api/v1/brokers/agency/agents")
    assert agents.status_code == 200
    assert [row["real_name"] for row in agents.json()] == ["周店长", "吴经纪", "郑经纪"]
    reports = client.get("/api/v1/brokers/agency/reports")
    assert reports.status_code == 200
    assert {row["agent"]: row["phone"] for row in reports.json()} == {
        "周店长": MANAGER_PHONE, "吴经纪": "138****0002", "郑经纪": "138****0003"}
    assert "visit_code" not in reports.json()[0]
    one = client.get("/api/v1/brokers/agency/reports", {"agent_id": world["chen"].pk})
    assert one.status_code == 200 and one.json() == []


def test_the_agency_api_answers_an_ordinary_agent_404_in_the_error_shape(world):
    client = as_broker(world["wu"])
    for url in ("/api/v1/brokers/agency/agents", "/api/v1/brokers/agency/reports"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_an_agency_manager"


def test_the_agency_api_refuses_someone_who_is_no_broker(world, consultant):
    client = Client()
    client.force_login(consultant.user)
    assert client.get("/api/v1/brokers/agency/agents").status_code == 403


def test_another_organisations_agency_manager_reads_nothing_of_this_one_through_the_api(world):
    client = as_broker(world["outsider_manager"])
    agents = client.get("/api/v1/brokers/agency/agents").json()
    assert {row["real_name"] for row in agents} == {"卫店长", "蒋经纪"}
    reports = client.get("/api/v1/brokers/agency/reports").json()
    assert [row["id"] for row in reports] == [world["reports"]["outsider"].pk]
    assert client.get("/api/v1/brokers/agency/agents", {"org": world["manager"].organization_id}).status_code == 403
