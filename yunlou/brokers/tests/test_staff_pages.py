"""The referral network's staff pages (/staff/brokers/…): who may open them, and what each one does."""

import datetime
import io
import re
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from yunlou.accounts.tests.factories import OrganizationFactory, make_staff
from yunlou.brokers.exports import BATCH_COLUMNS
from yunlou.brokers.models import (
    BrokerStatus,
    CommissionEntry,
    EntryStatus,
    ReferralRules,
    ReferralStatus,
    SettlementBatch,
    SettlementStatus,
)
from yunlou.brokers.services.referrals import referral_create
from yunlou.brokers.staff_selectors import ageing_bucket, commission_ageing
from yunlou.brokers.tests.factories import broker_make, rules_make
from yunlou.brokers.views_staff import visit_code_url
from yunlou.catalogue.tests.factories import ProjectFactory
from yunlou.crm.models import Customer, Visit

pytestmark = pytest.mark.django_db
FULL = "13812346621"


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _staff(role, project, **fields):
    return make_staff(role=role, organization=project.organization, projects=[project], **fields)


@pytest.fixture
def channel(project):
    return _staff("channel", project, display_name="渠道张")


@pytest.fixture
def desk(project):
    return _staff("receptionist", project, display_name="前台李")


@pytest.fixture
def finance(project):
    return _staff("finance", project, display_name="财务周")


def _as(client, staff):
    client.force_login(staff.user)
    return client


def _report(project, broker, *, phone=FULL, name="刘先生", minutes_ago=60):
    return referral_create(user=broker.user, project_id=project.pk, customer_name=name, phone=phone,
                           now=timezone.now() - datetime.timedelta(minutes=minutes_ago))


def _payable(project, broker, *, amount=100_000, days=0, phone=FULL):
    referral = _report(project, broker, phone=phone)
    return CommissionEntry.objects.create(
        organization=project.organization, referral=referral, deal_key="visit", beneficiary=broker.user, level=1,
        stage="visit", amount=amount, status=EntryStatus.PAYABLE,
        payable_at=timezone.now() - datetime.timedelta(days=days))


# --- who may open what ---

CHANNEL_PAGES = ["brokers_staff:brokers", "brokers_staff:commissions", "brokers_staff:fraud"]


@pytest.mark.parametrize("name", CHANNEL_PAGES)
def test_a_consultant_or_receptionist_cannot_reach_the_channel_pages(client, consultant, desk, name):
    for staff in (consultant, desk):
        assert _as(client, staff).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", CHANNEL_PAGES)
def test_the_channel_manager_opens_the_channel_pages(client, channel, name):
    assert _as(client, channel).get(reverse(name)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get(reverse("brokers_staff:rules", args=[project.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_organisations_channel_manager_gets_404_for_this_projects_pages(client, project):
    stranger_project = ProjectFactory(organization=OrganizationFactory(name="别家置业"))
    stranger = _staff("channel", stranger_project)
    _as(client, stranger)
    for name in ("brokers_staff:rules", "brokers_staff:referrals"):
        assert client.get(reverse(name, args=[project.pk])).status_code == 404
    broker = broker_make(project.organization, status=BrokerStatus.PENDING)
    response = client.post(reverse("brokers_staff:broker_status", args=[broker.pk]), {"status": "active"})
    assert response.status_code == 404
    broker.refresh_from_db()
    assert broker.status == BrokerStatus.PENDING


def test_the_front_desk_is_for_those_who_confirm_visits(client, project, consultant, channel, desk):
    url = reverse("brokers_staff:desk", args=[project.pk])
    assert _as(client, consultant).get(url).status_code == 403
    assert _as(client, channel).get(url).status_code == 403
    assert _as(client, desk).get(url).status_code == 200


def test_finance_sees_batches_but_not_the_brokers(client, finance):
    _as(client, finance)
    assert client.get(reverse("brokers_staff:batches")).status_code == 200
    assert client.get(reverse("brokers_staff:brokers")).status_code == 403


# --- brokers ---

def test_the_channel_manager_approves_freezes_and_unfreezes_a_broker(client, project, channel):
    broker = broker_make(project.organization, status=BrokerStatus.PENDING, name="钱经纪")
    _as(client, channel)
    page = client.get(reverse("brokers_staff:brokers")).content.decode()
    assert "钱经纪" in page and "invite" in page
    for status in ("active", "frozen", "active"):
        client.post(reverse("brokers_staff:broker_status", args=[broker.pk]), {"status": status})
        broker.refresh_from_db()
        assert broker.status == status


def test_the_broker_list_shows_the_invite_tree_and_agencies(client, project, channel):
    parent = broker_make(project.organization, name="上线甲", upline=channel.user)
    broker_make(project.organization, name="下线乙", upline=parent.user)
    page = _as(client, channel).get(reverse("brokers_staff:brokers")).content.decode()
    tree = page.split('data-testid="tree"')[1]
    assert tree.index("渠道张") < tree.index("上线甲") < tree.index("下线乙")
    qr = client.get(reverse("brokers_staff:invite_qr"))
    assert qr["Content-Type"] == "image/png"


# --- rules ---

def _rules_post(**changes):
    data = {"is_open": "on", "number_mode": "m34", "repeat_allowed": "on", "lead_minutes": "30",
            "visit_window": "days", "visit_window_value": "7", "visit_until": "", "protection_days": "30",
            "deal_days": "90", "daily_cap": "20", "direct_mode": "percent", "direct_fixed": "0",
            "direct_percent": "0.5", "upline_mode": "percent", "upline_fixed": "0", "upline_percent": "10",
            "visit_bonus": "200", "subscribe_share_percent": "0", "payable_on": "signing",
            "payable_collected_percent": "30"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_rules_form_saves_a_new_version_in_fen_and_basis_points(client, project, channel):
    rules_make(project)
    response = _as(client, channel).post(reverse("brokers_staff:rules", args=[project.pk]),
                                         _rules_post(direct_percent="0.5", visit_bonus="200.50"))
    assert response.status_code == 302
    saved = ReferralRules.objects.filter(project=project).order_by("-version").first()
    assert saved.version == 2 and saved.created_by == channel.user
    assert saved.direct_basis_points == 50 and saved.visit_bonus == 20_050 and saved.upline_basis_points == 1000
    page = client.get(reverse("brokers_staff:rules", args=[project.pk])).content.decode()
    assert "渠道张" in page  # who made the version in force


@pytest.mark.parametrize(("changes", "field"), [
    ({"visit_window": "until", "visit_until": ""}, "visit_until"),
    ({"direct_percent": "150"}, "direct_percent"),
    ({"visit_bonus": "abc"}, "visit_bonus"),
    ({"lead_minutes": "999999"}, "lead_minutes"),
    ({"number_mode": "nonsense"}, "number_mode"),
])
def test_the_rules_form_refuses_bad_input_naming_the_field_and_writes_nothing(client, project, channel, changes,
                                                                              field):
    rules_make(project)
    response = _as(client, channel).post(reverse("brokers_staff:rules", args=[project.pk]), _rules_post(**changes))
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert ReferralRules.objects.filter(project=project).count() == 1


# --- referrals ---

def test_the_referrals_list_shows_masked_numbers_only(client, project, channel):
    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, name="孙经纪")
    _report(project, broker, phone=FULL, name="周先生")
    page = _as(client, channel).get(reverse("brokers_staff:referrals", args=[project.pk])).content.decode()
    assert "周先生" in page and "孙经纪" in page and "138****6621" in page
    assert FULL not in page


# --- the front desk ---

def test_the_desk_confirms_a_visit_from_its_scanned_code(client, project, desk):
    rules_make(project, number_mode="full")
    referral = _report(project, broker_make(project.organization))
    url = visit_code_url(referral.visit_code)
    assert url == f"/staff/brokers/desk/code/{referral.visit_code}/"
    _as(client, desk)
    page = client.get(url).content.decode()
    assert "刘先生" in page and FULL not in page
    response = client.post(url)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.VISITED and referral.visit_confirmed_by == desk.user


def test_a_typed_visit_code_leads_to_its_report(client, project, desk):
    rules_make(project, number_mode="full")
    referral = _report(project, broker_make(project.organization))
    response = _as(client, desk).get(reverse("brokers_staff:desk", args=[project.pk]),
                                     {"code": referral.visit_code.lower()})
    assert response.status_code == 302 and response["Location"] == visit_code_url(referral.visit_code)


def test_the_desk_matches_a_masked_report_by_the_customers_phone_and_confirms_it(client, project, desk):
    rules_make(project, number_mode="m34")
    broker = broker_make(project.organization, name="吴经纪")
    referral = _report(project, broker, phone="138****6621")
    _as(client, desk)
    page = client.post(reverse("brokers_staff:desk", args=[project.pk]), {"phone": FULL}).content.decode()
    candidates = page.split('data-testid="candidates"')[1]
    assert "吴经纪" in candidates and "138****6621" in candidates
    response = client.post(reverse("brokers_staff:desk_confirm", args=[project.pk]),
                           {"referral": referral.pk, "phone": FULL})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.VISITED
    assert Customer.objects.get(project=project).phone == FULL


def test_a_masked_code_confirmation_asks_for_the_full_number(client, project, desk):
    rules_make(project, number_mode="m34")
    referral = _report(project, broker_make(project.organization), phone="138****6621")
    _as(client, desk)
    url = visit_code_url(referral.visit_code)
    assert 'name="phone"' in client.get(url).content.decode()
    client.post(url, {"phone": "13812340000"})  # not the reported number
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REPORTED
    client.post(url, {"phone": FULL})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.VISITED


def test_the_desk_registers_a_walk_in(client, project, desk):
    response = _as(client, desk).post(reverse("brokers_staff:desk_walk_in", args=[project.pk]),
                                      {"customer_name": "郑女士", "phone": "13700001111"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.customer.name == "郑女士" and visit.is_first and visit.registered_by == desk.user


def test_a_walk_in_with_a_bad_number_names_the_field(client, project, desk):
    response = _as(client, desk).post(reverse("brokers_staff:desk_walk_in", args=[project.pk]),
                                      {"customer_name": "郑女士", "phone": "123"})
    assert response.status_code == 400 and 'data-field="phone"' in response.content.decode()
    assert not Visit.objects.exists()


# --- settlements ---

def test_a_settlement_is_approved_then_paid_through_the_pages(client, project, channel, finance):
    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, name="冯经纪")
    entry = _payable(project, broker, amount=150_000)
    _as(client, channel)
    assert "冯经纪" in client.get(reverse("brokers_staff:commissions")).content.decode()
    response = client.post(reverse("brokers_staff:commissions"), {"entries": [entry.pk]})
    batch = SettlementBatch.objects.get()
    assert response.status_code == 302 and batch.total == 150_000
    assert client.post(reverse("brokers_staff:batch_pay", args=[batch.pk])).status_code == 403
    _as(client, finance)
    client.post(reverse("brokers_staff:batch_pay", args=[batch.pk]))
    batch.refresh_from_db()
    entry.refresh_from_db()
    assert batch.status == SettlementStatus.PAID and entry.status == EntryStatus.PAID


def test_settling_an_entry_that_is_not_payable_is_refused(client, project, channel):
    response = _as(client, channel).post(reverse("brokers_staff:commissions"), {"entries": [999]})
    assert response.status_code == 400 and not SettlementBatch.objects.exists()


def test_the_batch_exports_to_xlsx_with_masked_customers_and_escaped_names(client, project, channel):
    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, name="=HYPERLINK(1)")
    entry = _payable(project, broker, amount=123_456)
    _as(client, channel)
    client.post(reverse("brokers_staff:commissions"), {"entries": [entry.pk]})
    batch = SettlementBatch.objects.get()
    response = client.get(reverse("brokers_staff:batch_export", args=[batch.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    with translation.override(settings.LANGUAGE_CODE):  # the language the page answered in
        assert rows[1] == [str(column) for column in BATCH_COLUMNS]
        direct, payable = gettext("Direct"), str(EntryStatus.PAYABLE.label)
    earner, level, stage, project_name, customer, order, amount, status = rows[2]
    assert earner == "'=HYPERLINK(1)" and level == direct and project_name == project.name
    assert customer == "刘先生 138****6621" and float(amount) == 1234.56 and status == payable
    assert FULL not in str(rows)
    assert load_workbook(io.BytesIO(response.content)).sheetnames == [batch.number]  # no payees for the channel


def test_finance_exports_the_payees_accounts_in_full_and_the_export_is_audited(client, project, channel, finance):
    from yunlou.brokers.services.brokers import broker_bank_set
    from yunlou.core.models import AuditLog

    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, name="赵强")
    broker_bank_set(broker=broker, bank_name="工商银行", bank_account="6222 0212 3456 7890 123")
    entry = _payable(project, broker, amount=123_456)
    _as(client, channel).post(reverse("brokers_staff:commissions"), {"entries": [entry.pk]})
    batch = SettlementBatch.objects.get()
    response = _as(client, finance).get(reverse("brokers_staff:batch_export", args=[batch.pk]))
    book = load_workbook(io.BytesIO(response.content))
    payees = [[cell.value for cell in row] for row in book.worksheets[1].iter_rows()]
    assert payees[1][:3] == ["赵强", "工商银行", "6222021234567890123"] and float(payees[1][3]) == 1234.56
    assert AuditLog.objects.filter(action="settlement.export", actor=finance.user).exists()


# --- ageing ---

@pytest.mark.parametrize(("days", "bucket"), [(0, 0), (30, 0), (31, 1), (60, 1), (61, 2), (90, 2), (91, 3),
                                               (400, 3)])
def test_an_age_in_days_falls_in_its_bucket(days, bucket):
    assert ageing_bucket(days) == bucket


def test_the_ageing_view_groups_payable_and_owed_amounts_by_earner_and_age(client, project, channel):
    rules_make(project, number_mode="full")
    broker = broker_make(project.organization, name="陈经纪")
    _payable(project, broker, amount=100, days=5, phone="13812340001")
    _payable(project, broker, amount=200, days=45, phone="13812340002")
    paid = _payable(project, broker, amount=400, days=100, phone="13812340003")
    CommissionEntry.objects.create(organization=project.organization, referral=paid.referral, deal_key="visit",
                                   beneficiary=broker.user, level=1, stage="visit", kind="clawback", amount=-50,
                                   status=EntryStatus.OWED, reverses=paid,
                                   created_at=timezone.now() - datetime.timedelta(days=70))
    rows = {row.kind: row for row in commission_ageing(staff=channel)}
    assert rows["payable"].earner == "陈经纪" and rows["payable"].buckets == [100, 200, 0, 400]
    assert rows["owed"].buckets == [0, 0, -50, 0] and rows["owed"].total == -50
    page = _as(client, channel).get(reverse("brokers_staff:ageing")).content.decode()
    assert "陈经纪" in page


# --- the public pool ---

def test_a_consultant_claims_a_customer_from_the_pool(client, project, consultant):
    customer = Customer.objects.create(project=project, name="池客户", phone="13700002222",
                                       pooled_at=timezone.now())
    _as(client, consultant)
    assert "池客户" in client.get(reverse("brokers_staff:pool")).content.decode()
    client.post(reverse("brokers_staff:pool_claim", args=[customer.pk]))
    customer.refresh_from_db()
    assert customer.owner == consultant.user and customer.pooled_at is None


def test_the_desk_shows_a_fresh_check_in_qr_that_opens_the_customers_check_in(client, project, desk):
    import zxingcpp
    from PIL import Image

    from yunlou.brokers.services.visits import check_in_token_valid

    _as(client, desk)
    response = client.get(reverse("brokers_staff:desk_check_in_qr", args=[project.pk]))
    assert response["Content-Type"] == "image/png" and response["Cache-Control"] == "no-store"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    path, _, query = code.text.partition("?")
    assert path.endswith(f"/b/checkin/{project.pk}/") and query.startswith("t=")
    from urllib.parse import parse_qs
    assert check_in_token_valid(project_id=project.pk, token=parse_qs(query)["t"][0])
    assert client.get(f"/b/checkin/{project.pk}/?{query}").status_code == 200


def test_the_desk_looks_a_number_up_by_post_only(client, project, desk):
    rules_make(project, number_mode="full", at=timezone.now() - datetime.timedelta(days=1))
    broker = broker_make(project.organization)
    _report(project, broker)
    _as(client, desk)
    page = client.get(reverse("brokers_staff:desk", args=[project.pk]), {"phone": FULL}).content.decode()
    assert 'data-testid="candidates"' not in page  # a number in an address would sit in logs and history


def test_finance_records_a_loan_paid_out_and_the_deal_commission_becomes_payable(client, project, building, channel,
                                                                                 finance):
    from yunlou.brokers.models import CommissionEntry
    from yunlou.brokers.services.commissions import referral_order_signed, referral_order_subscribed
    from yunlou.brokers.services.visits import referral_visit_confirm
    from yunlou.brokers.tests.factories import order_make

    rules_make(project, number_mode="full", payable_on="loan", upline_mode="none")
    referral = _report(project, broker_make(project.organization))
    referral_visit_confirm(staff=_staff("receptionist", project), referral_id=referral.pk)
    order = order_make(project, building.units.first(), phone=FULL, status="signed")
    referral_order_subscribed(order)
    referral_order_signed(order)
    assert CommissionEntry.objects.get().status == "pending"
    url = reverse("brokers_staff:loan_disbursed", args=[order.pk])
    assert _as(client, channel).post(url).status_code == 403
    page = _as(client, finance).get(reverse("brokers_staff:batches")).content.decode()
    assert 'data-testid="awaiting-loan"' in page and order.unit.code in page
    assert client.post(url).status_code == 302
    assert CommissionEntry.objects.get().status == "payable"
    assert client.post(url).status_code == 404  # nothing waits any more


def test_the_check_in_screen_renews_its_qr_on_its_own(client, project, desk):
    """The desk's panel and the full check-in screen ask for a new QR every few minutes (htmx), each with an
    image address of its own, so neither shows a code older than its renewal."""
    from yunlou.brokers.services.visits import CHECK_IN_REFRESH_SECONDS, CHECK_IN_TOKEN_SECONDS

    assert CHECK_IN_REFRESH_SECONDS * 2 < CHECK_IN_TOKEN_SECONDS  # a missed renewal still leaves a working code
    _as(client, desk)
    url = reverse("brokers_staff:desk_check_in", args=[project.pk])
    for page in (client.get(reverse("brokers_staff:desk", args=[project.pk])), client.get(url)):
        html = page.content.decode()
        assert f'hx-get="{url}"' in html and f'hx-trigger="every {CHECK_IN_REFRESH_SECONDS}s"' in html
        assert "htmx.min.js" in html
    panel = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert panel.startswith('<figure class="check-in-qr"') and "<html" not in panel
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(minutes=5)):
        later = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    image = re.compile(r'<img src="([^"]+)"')
    assert image.search(panel)[1] != image.search(later)[1]
    assert image.search(later)[1].startswith(reverse("brokers_staff:desk_check_in_qr", args=[project.pk]) + "?at=")


def test_another_organisations_desk_cannot_open_the_check_in_screen(client, project, outsider):
    _as(client, outsider)
    assert client.get(reverse("brokers_staff:desk_check_in", args=[project.pk])).status_code == 404


def test_a_panel_polling_after_the_session_ended_asks_the_page_to_reload(client, project):
    url = reverse("brokers_staff:desk_check_in", args=[project.pk])
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 401 and response["HX-Refresh"] == "true"
    assert client.get(url).status_code == 302  # a page itself still goes to the login form
