"""签约: the buyer signs a subscribed order's contract → a stored, digitally signed PDF, the unit and the order signed;
its buyer and the project's staff download it; anyone checks a copy on the public verify page."""

import datetime
import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image, ImageDraw

from yunlou.accounts.tests.factories import UserFactory
from yunlou.catalogue.models import UnitStatus
from yunlou.core.errors import Conflict, NotFound, ValidationFailed
from yunlou.core.models import AuditLog
from yunlou.launch.contracts import verify_pdf
from yunlou.launch.models import Contract, Order, OrderStatus, SigningCertificate
from yunlou.launch.services import unit_claim
from yunlou.launch.services.contracts import order_contract_sign, signing_certificate_for
from yunlou.launch.services.orders import order_subscription_form_sign
from yunlou.launch.tests.factories import launch_make, pledge_make, token_of
from yunlou.launch.tests.test_orders import deposit_paid

# The lead mounts these pages in yunlou/urls.py; until then the tests mount them themselves.

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
VERIFY_URL = "/contracts/verify/"


@pytest.fixture(autouse=True)
def _pages_in_english(client, settings):
    """Pages answer in the language cookie's language (Chinese by default): English, to read their messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def signature_png() -> bytes:
    """What signature_pad sends: dark strokes on a transparent canvas."""
    image = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 170), (120, 60), (190, 190), (280, 70), (360, 180), (450, 80), (560, 150)],
                               fill=(20, 20, 40, 255), width=8)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def signature_data_url() -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()


def subscribed_order(client, wechatpay, project, building, *, buyers: int = 2):
    """Pledged buyers with accounts; the first has subscribed the first unit (form signed, deposit paid)."""
    pledges = [pledge_make(project, buyer=UserFactory()) for _ in range(buyers)]
    units = list(building.units.order_by("code")[:2])
    launch = launch_make(project, units=units, pledges=pledges, deposit=2_000_000)
    order = unit_claim(launch_id=launch.pk, pledge=pledges[0], token=token_of(launch, units[0]))
    order_subscription_form_sign(pledge=pledges[0], order_id=order.pk, signature=signature_data_url())
    deposit_paid(client, wechatpay, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBSCRIBED
    return type("Deal", (), {"order": order, "buyer": pledges[0], "other": pledges[1], "units": units,
                             "launch": launch})


@pytest.fixture
def deal(client, wechatpay, project, building):
    return subscribed_order(client, wechatpay, project, building)


@pytest.fixture
def signed(deal):
    deal.contract = order_contract_sign(pledge=deal.buyer, order_id=deal.order.pk, signature=signature_data_url())
    return deal


def test_signing_stores_a_contract_whose_pdf_is_the_stored_hash_and_carries_a_valid_signature(signed, project):
    contract = signed.contract
    pdf = contract.pdf.read()
    assert hashlib.sha256(pdf).hexdigest() == contract.sha256
    certificate = SigningCertificate.objects.get(organization=project.organization)
    result = verify_pdf(pdf, certificate.ca_pem.encode())
    assert (result.intact, result.valid, result.covers_whole_file) == (True, True, True)
    assert result.signer == "云栖置业集团"
    # PAdES B-T: a trusted time-stamping authority (the demo's, under the organisation's CA) vouches for the time
    assert result.timestamped_at is not None
    assert abs(result.timestamped_at - contract.signed_at) < datetime.timedelta(minutes=1)
    assert contract.number.startswith("HT") and contract.number.endswith(f"{signed.order.pk:08d}")
    assert contract.buyer_signature.read().startswith(b"\x89PNG")

    order = Order.objects.select_related("unit").get(pk=signed.order.pk)
    assert (order.status, order.unit.status) == (OrderStatus.SIGNED, UnitStatus.SIGNED)
    assert order.signed_at == contract.signed_at
    entry = AuditLog.objects.get(action="order.sign", target_id=str(order.pk))
    assert entry.actor == signed.buyer.buyer and entry.changes["sha256"] == contract.sha256

    # Page 1, to look at: the parties, the unit, the payment plan, the clauses, the seal beside the digital
    # signature's stamp and the buyer's drawn signature (the demo contract fits on one page).
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-",
                    str(ARTIFACTS / "contract-signed-page1")], input=pdf, check=True, timeout=60)
    assert (ARTIFACTS / "contract-signed-page1.png").stat().st_size > 10_000


def test_the_contract_shows_the_masked_id_number_and_a_payment_plan_that_adds_up_to_the_price(deal):
    from yunlou.launch.services.contracts import contract_data_for

    order = Order.objects.select_related("launch__project__organization", "unit", "pledge").get(pk=deal.order.pk)
    data = contract_data_for(order, order.subscribed_at)
    assert data.buyer_id_masked == deal.buyer.masked_id_number and deal.buyer.id_number not in data.buyer_id_masked
    assert [line.label for line in data.payment_plan] == ["定金", "首付款", "按揭贷款"]
    assert sum(line.amount_fen for line in data.payment_plan) == order.price
    assert data.payment_plan[0].amount_fen + data.payment_plan[1].amount_fen == order.price * 30 // 100


def test_signing_again_returns_the_same_contract_and_changes_nothing(signed):
    again = order_contract_sign(pledge=signed.buyer, order_id=signed.order.pk, signature=signature_data_url())
    assert again.pk == signed.contract.pk and again.sha256 == signed.contract.sha256
    assert Contract.objects.count() == 1
    assert AuditLog.objects.filter(action="order.sign").count() == 1


def test_another_buyers_order_id_answers_like_a_missing_one_and_signs_nothing(deal):
    for order_id in (deal.order.pk, 2**62):
        with pytest.raises(NotFound):
            order_contract_sign(pledge=deal.other, order_id=order_id, signature=signature_data_url())
    assert Order.objects.get(pk=deal.order.pk).status == OrderStatus.SUBSCRIBED
    assert not Contract.objects.exists()


def test_an_order_that_is_only_held_cannot_be_signed(project, building):
    pledge = pledge_make(project)
    units = list(building.units.order_by("code")[:1])
    launch = launch_make(project, units=units, pledges=[pledge])
    order = unit_claim(launch_id=launch.pk, pledge=pledge, token=token_of(launch, units[0]))
    with pytest.raises(Conflict) as refused:
        order_contract_sign(pledge=pledge, order_id=order.pk, signature=signature_data_url())
    assert refused.value.code == "not_subscribed"
    assert not Contract.objects.exists() and Order.objects.get(pk=order.pk).status == OrderStatus.HELD


@pytest.mark.parametrize("signature", ["", "data:image/png;base64,!!!"])
def test_a_missing_or_broken_signature_is_refused_before_anything_is_rendered(deal, signature):
    with pytest.raises(ValidationFailed) as refused:
        order_contract_sign(pledge=deal.buyer, order_id=deal.order.pk, signature=signature)
    assert refused.value.field == "signature"
    assert not SigningCertificate.objects.exists()  # nothing was rendered or signed


def test_the_organisations_certificate_is_made_once_and_its_private_key_is_encrypted_at_rest(project):
    first = signing_certificate_for(project.organization)
    assert signing_certificate_for(project.organization).pk == first.pk
    assert "PRIVATE KEY" in first.private_key_pem
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key_pem FROM launch_signingcertificate WHERE id = %s", [first.pk])
        stored = cursor.fetchone()[0]
    assert "PRIVATE KEY" not in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsa_private_key_pem FROM launch_signingcertificate WHERE id = %s", [first.pk])
        assert "PRIVATE KEY" not in cursor.fetchone()[0]
    assert "PRIVATE KEY" in first.tsa_private_key_pem and "CERTIFICATE" in first.tsa_certificate_pem


def test_a_timestamp_from_a_tsa_the_verifier_does_not_trust_leaves_the_time_unattested(project):
    """The timestamp counts only when its authority chains to a trusted root: a stamp by a stranger's TSA gives
    no attested time (the signature itself still checks out)."""
    from yunlou.launch.contracts import load_signer, load_timestamper, render_contract, sign_pdf
    from yunlou.launch.contracts.signing import demo_ca_and_certificate
    from yunlou.launch.tests.test_contracts import contract as contract_data

    ours, stranger = demo_ca_and_certificate("云栖置业集团"), demo_ca_and_certificate("别家公司")
    signer = load_signer(ours.certificate_pem, ours.private_key_pem, ours.ca_pem)
    pdf = render_contract(contract_data())
    stamped_by_stranger = sign_pdf(pdf, signer, reason="签约", location="上海", timestamper=load_timestamper(
        tsa_certificate_pem=stranger.tsa_certificate_pem, tsa_private_key_pem=stranger.tsa_private_key_pem,
        ca_pem=stranger.ca_pem))
    result = verify_pdf(stamped_by_stranger, ours.ca_pem)
    assert result.intact and result.timestamped_at is None
    unstamped = verify_pdf(sign_pdf(pdf, signer, reason="签约", location="上海"), ours.ca_pem)
    assert unstamped.valid and unstamped.timestamped_at is None


# --- downloading ---

def test_the_buyer_downloads_their_contract_with_no_store(client, signed):
    client.force_login(signed.buyer.buyer)
    response = client.get(f"/launch/contracts/{signed.contract.number}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == signed.contract.sha256


def test_another_buyer_and_another_company_get_not_found_and_a_stranger_is_sent_to_log_in(client, signed, outsider):
    url = f"/launch/contracts/{signed.contract.number}.pdf"
    assert client.get(url).status_code == 302
    for user in (signed.other.buyer, outsider.user):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_the_projects_manager_downloads_it_and_the_download_is_audited(client, signed, manager, consultant):
    client.force_login(consultant.user)  # covers the project but does not own this buyer
    assert client.get(f"/launch/contracts/{signed.contract.number}.pdf").status_code == 404
    client.force_login(manager.user)
    response = client.get(f"/launch/contracts/{signed.contract.number}.pdf")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert AuditLog.objects.filter(action="contract.download", actor=manager.user).count() == 1


def test_the_sign_page_signs_the_buyers_order(client, deal):
    client.force_login(deal.buyer.buyer)
    response = client.post(f"/launch/orders/{deal.order.pk}/contract/sign/", {"signature": signature_data_url()})
    assert response.status_code == 302 and response["Location"] == f"/launches/orders/{deal.order.pk}/"
    contract = Contract.objects.get(order=deal.order)
    page = client.get(response["Location"]).content.decode()
    assert contract.number in page and f'download="{contract.number}.pdf"' in page
    client.force_login(deal.other.buyer)
    assert client.post(f"/launch/orders/{deal.order.pk}/contract/sign/",
                       {"signature": signature_data_url()}).status_code == 404


# --- the public verify page ---

def upload(content: bytes, name: str = "contract.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}


def test_the_verify_page_recognises_a_genuine_copy_and_never_shows_the_buyer(client, signed):
    assert client.get(VERIFY_URL).status_code == 200
    response = client.post(VERIFY_URL, upload(signed.contract.pdf.read()))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="verify-found"' in page and signed.contract.number in page
    assert signed.order.unit.code in page and "云栖府" in page
    assert 'data-valid="true"' in page and 'data-intact="true"' in page
    assert 'data-testid="verify-timestamp"' in page  # the attested time of the B-T signature
    assert signed.buyer.name not in page and signed.buyer.masked_id_number not in page


def test_a_copy_with_one_byte_changed_is_not_found_and_its_signature_is_broken(client, signed):
    pdf = bytearray(signed.contract.pdf.read())
    # A byte in the middle of the first range the signature covers (the rendered pages).
    first_range_end = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", pdf).group(1))
    pdf[first_range_end // 2] ^= 0x01
    response = client.post(VERIFY_URL, upload(bytes(pdf)))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="verify-unknown"' in page and signed.contract.number not in page
    assert 'data-intact="false"' in page and 'data-valid="false"' in page


@pytest.mark.parametrize("content", [b"", b"hello, not a pdf at all" * 10, b"%PDF-1.7\n" + b"\x00garbage" * 500])
def test_garbage_gets_a_clear_answer_and_never_a_server_error(client, content):
    response = client.post(VERIFY_URL, upload(content))
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert 'data-testid="verify-problem"' in page or 'data-testid="verify-unknown"' in page


def test_an_upload_over_10_mb_is_refused(client):
    response = client.post(VERIFY_URL, upload(b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024)))
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()


def test_the_verify_page_is_rate_limited_per_address(client, settings):
    from yunlou.launch.views_contracts import VERIFY_PER_IP_PER_HOUR

    for _ in range(VERIFY_PER_IP_PER_HOUR):
        assert client.post(VERIFY_URL, upload(b"not a pdf")).status_code == 400
    assert client.post(VERIFY_URL, upload(b"not a pdf")).status_code == 429
    assert client.post(VERIFY_URL, upload(b"not a pdf"), REMOTE_ADDR="10.1.2.3").status_code == 400
