"""签约: the buyer signs the purchase contract of a subscribed order; the developer's certificate seals it (PAdES).

The order goes subscribed → signed, and its unit with it, only once the signed PDF exists: the contract is
rendered and signed first, with no row locked (half a second of font work and an RSA signature), then the order
is locked, its status read again, and the unit, the order, the contract row and the audit record are written in
one short transaction. Two taps on the button render twice; the second to reach the lock finds the order signed
and gets the first one's contract. A call for an order already signed returns its contract.

The stored SHA-256 is what the public verify page looks a copy up by; the signature itself is checked against
the organisation's own CA (`contract_check`).
"""

import datetime
import functools
import io
import logging
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader

from yunlou.accounts.models import Organization
from yunlou.brokers.services.commissions import referral_order_signed
from yunlou.catalogue.models import Unit, UnitStatus
from yunlou.core.audit import audit_record
from yunlou.core.errors import Conflict
from yunlou.launch.contracts import (
    ContractData,
    PaymentLine,
    VerificationResult,
    company_seal_png,
    default_clauses,
    demo_ca_and_certificate,
    load_signer,
    load_timestamper,
    render_contract,
    sha256_hex,
    sign_pdf,
    verify_pdf,
)
from yunlou.launch.models import Contract, Order, OrderStatus, Pledge, SigningCertificate
from yunlou.launch.services.orders import order_for_buyer, signature_png
from yunlou.live.publish import order_unit_changed

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The demo's payment plan (a project setting would replace it): the deposit already paid, a down payment that
# brings the buyer's own money to 30 % of the price (China's common minimum for a first home), due 30 days
# after signing, and the rest by a bank loan. All in integer fen; the three lines add up to the price exactly.
DOWN_PAYMENT_PERCENT = 30
DOWN_PAYMENT_DAYS = 30


# --- the organisation's certificate and seal ---

def signing_certificate_for(organization: Organization) -> SigningCertificate:
    """The organisation's signing certificate; the demo CA and certificate are made on first use.

    The keys are generated outside any transaction (RSA takes a moment); when two first uses race, the
    one-to-one column keeps the first and the other is read back."""
    certificate = SigningCertificate.objects.filter(organization=organization).first()
    if certificate is not None:
        return certificate
    generated = demo_ca_and_certificate(organization.name)
    try:
        with transaction.atomic():
            return SigningCertificate.objects.create(
                organization=organization, ca_pem=generated.ca_pem.decode(),
                certificate_pem=generated.certificate_pem.decode(),
                private_key_pem=generated.private_key_pem.decode(),  # encrypted at rest by the field
                tsa_certificate_pem=generated.tsa_certificate_pem.decode(),
                tsa_private_key_pem=generated.tsa_private_key_pem.decode(),
            )
    except IntegrityError:
        return SigningCertificate.objects.get(organization=organization)


@functools.lru_cache(maxsize=64)
def _seal_png(organization_name: str) -> bytes:
    # Drawn from the name alone, so the same in every process: a cache of it shares no state that matters.
    return company_seal_png(organization_name)


# --- signing ---

def contract_number_for(order: Order, moment: datetime.datetime) -> str:
    """HT + the signing date (Asia/Shanghai) + the order id: unique because the order is, readable on paper."""
    return f"HT{moment.astimezone(SHANGHAI):%Y%m%d}{order.pk:08d}"


def payment_plan_for(order: Order, moment: datetime.datetime) -> tuple[PaymentLine, ...]:
    """定金 (paid), 首付款 (30 % of the price less the deposit), 按揭贷款 (the rest)."""
    deposit = min(order.launch.deposit, order.price)
    down_payment = max(order.price * DOWN_PAYMENT_PERCENT // 100 - deposit, 0)
    loan = order.price - deposit - down_payment
    paid_on = timezone.localtime(order.deposit_paid_at, SHANGHAI).date() if order.deposit_paid_at else None
    due = (moment.astimezone(SHANGHAI) + datetime.timedelta(days=DOWN_PAYMENT_DAYS)).date()
    lines = [PaymentLine("定金", deposit, paid_on, "已付")]
    if down_payment:
        lines.append(PaymentLine("首付款", down_payment, due))
    if loan:
        lines.append(PaymentLine("按揭贷款", loan, None, "银行放款"))
    return tuple(lines)


def contract_data_for(order: Order, moment: datetime.datetime) -> ContractData:
    project, unit, pledge = order.launch.project, order.unit, order.pledge
    return ContractData(
        contract_number=contract_number_for(order, moment), project_name=project.name,
        developer_name=project.organization.name, unit_code=unit.code, floor=unit.floor, gross_area_m2=unit.area,
        price_fen=order.price, buyer_name=pledge.name, buyer_id_masked=pledge.masked_id_number, signed_at=moment,
        payment_plan=payment_plan_for(order, moment), clauses=tuple(default_clauses()),
    )


def _signable_check(order: Order) -> None:
    if order.is_rehearsal:
        raise Conflict(_("A rehearsal order has no contract."), code="rehearsal")
    if order.status != OrderStatus.SUBSCRIBED:
        raise Conflict(_("Only a subscribed order can be signed."), field="order_id", code="not_subscribed")


def order_contract_sign(*, pledge: Pledge, order_id: int, signature: str | bytes,
                        now: datetime.datetime | None = None) -> Contract:
    """The buyer signs the contract of their subscribed order; returns the stored, digitally signed Contract.

    Another buyer's order id answers NotFound like a missing one; an order already signed returns its contract.
    Call it outside any transaction: rendering and signing take about a second and hold no lock."""
    now = now or timezone.now()
    order = order_for_buyer(pledge=pledge, order_id=order_id)
    if order.status == OrderStatus.SIGNED and not order.is_rehearsal:
        return Contract.objects.get(order=order)
    png = signature_png(signature)
    _signable_check(order)

    order = Order.objects.select_related("launch__project__organization", "unit", "pledge").get(pk=order.pk)
    organization = order.launch.project.organization
    certificate = signing_certificate_for(organization)
    signer = load_signer(certificate.certificate_pem.encode(), certificate.private_key_pem.encode(),
                         certificate.ca_pem.encode())
    data = contract_data_for(order, now)
    timestamper = load_timestamper(url=settings.CONTRACT_TSA_URL,
                                   tsa_certificate_pem=certificate.tsa_certificate_pem.encode(),
                                   tsa_private_key_pem=certificate.tsa_private_key_pem.encode(),
                                   ca_pem=certificate.ca_pem.encode())
    pdf = sign_pdf(render_contract(data, buyer_signature=png, seal=_seal_png(organization.name)), signer,
                   reason="商品房买卖合同签约", location=order.launch.project.name, timestamper=timestamper)
    return _contract_store(order=order, number=data.contract_number, pdf=pdf, signature_png=png, now=now)


def _contract_store(*, order: Order, number: str, pdf: bytes, signature_png: bytes,
                    now: datetime.datetime) -> Contract:
    """Lock the order, check it again, and write unit, order, contract and audit together."""
    contract = Contract(order=order, number=number, sha256=sha256_hex(pdf), signed_at=now)
    saved_files = []
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            if locked.status == OrderStatus.SIGNED:
                return Contract.objects.get(order=locked)  # a second tap got here first
            _signable_check(locked)
            # Names nobody can guess: the demo serves media/ straight from disk.
            token = secrets.token_hex(8)
            contract.pdf.save(f"{number}-{token}.pdf", ContentFile(pdf), save=False)
            saved_files.append(contract.pdf)
            contract.buyer_signature.save(f"{number}-{token}.png", ContentFile(signature_png), save=False)
            saved_files.append(contract.buyer_signature)
            moved = Unit.objects.filter(pk=order.unit_id, status=UnitStatus.SUBSCRIBED).update(
                status=UnitStatus.SIGNED, status_changed_at=now)
            if moved != 1:
                raise Conflict(_("Unit %(code)s changed meanwhile.") % {"code": order.unit.code},
                               code="stale_status")
            Order.objects.filter(pk=order.pk, status=OrderStatus.SUBSCRIBED).update(
                status=OrderStatus.SIGNED, signed_at=now)
            contract.save()
            order.status, order.signed_at = OrderStatus.SIGNED, now
            order_unit_changed(order)
            audit_record(action="order.sign", target=order, project=order.launch.project, actor=order.pledge.buyer,
                         changes={"contract": number, "sha256": contract.sha256})
            if not order.is_rehearsal:
                referral_order_signed(order)
    except BaseException:
        for file in saved_files:
            file.delete(save=False)
        raise
    return contract


# --- checking a copy ---

@dataclass(frozen=True)
class ContractCheck:
    """What the public verify page may say: the contract a copy is (by its SHA-256), never who bought."""

    sha256: str
    contract: Contract | None
    verification: VerificationResult

    @property
    def is_issued_here(self) -> bool:
        return self.contract is not None


@functools.lru_cache(maxsize=1)
def _trusting_nobody() -> bytes:
    """A trust root that has signed nothing (a throwaway self-signed EC certificate): checking a file against it
    still tells whether the file is intact, and never calls its signature trusted."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Yunlou: no trusted issuer")])
    now = timezone.now()
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


def _ca_of_signer(pdf: bytes) -> bytes:
    """The CA of the organisation whose certificate made the file's last signature, if it is one of ours (a copy
    whose bytes changed is no longer found by its hash, but its signature still names who signed it); else a
    root that trusts nobody."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
        signer = signatures[-1].signer_cert if signatures else None
        organization_name = (signer.subject.native.get("organization_name") or "") if signer else ""
    except Exception:  # noqa: BLE001 — a hostile file can break the parser anywhere; verify_pdf reports it
        signer, organization_name = None, ""
    if signer is not None and organization_name:
        for certificate in SigningCertificate.objects.filter(organization__name=organization_name)[:5]:
            ours = list(load_certs_from_pemder_data(certificate.certificate_pem.encode()))
            if ours and ours[0].dump() == signer.dump():
                return certificate.ca_pem.encode()
    return _trusting_nobody()


def contract_check(*, pdf: bytes) -> ContractCheck:
    """Find the contract a copy is by its SHA-256, and check its signature against the issuer's CA."""
    digest = sha256_hex(pdf)
    contract = (Contract.objects.select_related("order__launch__project__organization__signing_certificate",
                                                "order__unit").filter(sha256=digest).first())
    if contract is not None:
        ca_pem = contract.order.launch.project.organization.signing_certificate.ca_pem.encode()
    else:
        ca_pem = _ca_of_signer(pdf)
    return ContractCheck(sha256=digest, contract=contract, verification=verify_pdf(pdf, ca_pem))
