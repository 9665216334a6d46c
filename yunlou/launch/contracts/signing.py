"""The developer's digital signature on a contract (PAdES), and checking one.

Every contract is certified by the organisation's signing certificate: a PAdES baseline signature whose byte
range covers the whole file, with DocMDP permission to fill forms and add signatures only. Any PDF reader then
shows whether the document is still what was signed; `verify_pdf` says the same on the server, against the
organisation's own CA as the only trust root.

With a time-stamping authority the signature carries an RFC 3161 timestamp over it (PAdES B-T): proof from a
third party's clock that the contract existed, signed, at that moment — not only the signer's word. A licensed
TSA is configured by URL (`CONTRACT_TSA_URL`); the demo's CA also issues a TSA certificate, and the demo stamps
with it in-process (pyHanko's own time-stamper), so the demo's contracts are B-T as well.

Certificates and keys go in and out as PEM bytes: the caller stores them per organisation (encrypted).
A real developer brings a certificate from a licensed CA (电子认证服务机构); `demo_ca_and_certificate`
makes a self-signed pair for the demo and the tests.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from yunlou.core.errors import ValidationFailed
from yunlou.core.fonts import cjk_font
from yunlou.core.text import strip_controls

from .pdf import SHANGHAI

logger = logging.getLogger(__name__)

KEY_SIZE = 2048
CA_YEARS = 10
CERTIFICATE_YEARS = 3


@dataclass(frozen=True)
class OrganisationCertificates:
    ca_pem: bytes
    certificate_pem: bytes
    private_key_pem: bytes  # PKCS#8, unencrypted: the caller encrypts it at rest
    tsa_certificate_pem: bytes = b""  # the demo's time-stamping authority, under the same CA
    tsa_private_key_pem: bytes = b""


def _name(organization_name: str, common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization_name[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
    ])


def _leaf(ca_key, ca_name: x509.Name, subject: x509.Name, now: datetime,
          usage: x509.ExtendedKeyUsage | None = None) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A new key and its certificate, issued by the CA, for signing (non-repudiation)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    return key, builder.sign(ca_key, hashes.SHA256())


def demo_ca_and_certificate(organization_name: str, *, now: datetime | None = None) -> OrganisationCertificates:
    """A self-signed CA and, issued by it, the organisation's signing certificate and key (RSA 2048), and a
    time-stamping authority's certificate and key."""
    organization_name = " ".join(strip_controls(organization_name).split()) or "Yunlou demo"
    now = now or timezone.now()
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    ca_name = _name(organization_name, f"{organization_name} 电子签章 CA"[:64])
    ca_certificate = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key, certificate = _leaf(ca_key, ca_name, _name(organization_name, organization_name), now)
    # The time-stamping authority's certificate says what it is for, as RFC 3161 requires (critical).
    tsa_key, tsa_certificate = _leaf(ca_key, ca_name, _name(organization_name, f"{organization_name} 时间戳服务"[:64]),
                                     now, usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]))

    def pkcs8(private_key) -> bytes:
        return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())

    return OrganisationCertificates(
        ca_pem=ca_certificate.public_bytes(serialization.Encoding.PEM),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        private_key_pem=pkcs8(key),
        tsa_certificate_pem=tsa_certificate.public_bytes(serialization.Encoding.PEM),
        tsa_private_key_pem=pkcs8(tsa_key),
    )


def load_timestamper(*, url: str = "", tsa_certificate_pem: bytes = b"", tsa_private_key_pem: bytes = b"",
                     ca_pem: bytes = b"") -> TimeStamper | None:
    """The time-stamping authority to ask: a TSA's URL (RFC 3161 over HTTP) when configured, else the demo's
    own TSA certificate stamping in-process, else none (the signature is then B-B, the signer's clock only)."""
    if url:
        return HTTPTimeStamper(url, timeout=10)
    if tsa_certificate_pem and tsa_private_key_pem:
        return DummyTimeStamper(
            tsa_cert=_certificates(tsa_certificate_pem, field="tsa_certificate")[0],
            tsa_key=load_private_key_from_pemder_data(tsa_private_key_pem, passphrase=None),
            certs_to_embed=SimpleCertificateStore.from_certs(_certificates(ca_pem, field="ca_certificate")),
        )
    return None


def _certificates(pem: bytes, *, field: str) -> list[asn1_x509.Certificate]:
    try:
        certificates = list(load_certs_from_pemder_data(pem))
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(_("The certificate is not a PEM or DER certificate."), field=field,
                               code="invalid_certificate") from exc
    if not certificates:
        raise ValidationFailed(_("The certificate is not a PEM or DER certificate."), field=field,
                               code="invalid_certificate")
    return certificates


def load_signer(cert_pem: bytes, key_pem: bytes, ca_pem: bytes, *,
                key_passphrase: bytes | None = None) -> signers.SimpleSigner:
    """pyHanko's signer for the organisation: its certificate, its private key, and the CA chain to embed."""
    certificate = _certificates(cert_pem, field="certificate")[0]
    chain = _certificates(ca_pem, field="ca_certificate")
    try:
        key = load_private_key_from_pemder_data(key_pem, passphrase=key_passphrase)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(_("The private key cannot be read."), field="private_key",
                               code="invalid_private_key") from exc
    public_key = serialization.load_der_private_key(key.dump(), password=None).public_key()
    if public_key.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo) != certificate.public_key.dump():
        raise ValidationFailed(_("The private key does not belong to the certificate."), field="private_key",
                               code="key_mismatch")
    return signers.SimpleSigner(signing_cert=certificate, signing_key=key,
                                cert_registry=SimpleCertificateStore.from_certs(chain))


def sha256_hex(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def _signer_name(certificate: asn1_x509.Certificate) -> str:
    subject = certificate.subject.native
    return subject.get("organization_name") or subject.get("common_name") or ""


def _appearance(signer_name: str, moment: datetime) -> PdfImage:
    """What the visible signature shows beside the seal, drawn in Chinese (the stamp fonts pyHanko ships
    with cannot write it)."""
    width, height = 504, 264  # 42 × 22 mm at 12 px/mm
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, width - 3, height - 3), radius=14, outline=(180, 30, 40, 255), width=3)
    lines = [
        ("数字签名 · 已签署", cjk_font(40, bold=True), (180, 30, 40, 255)),
        (signer_name[:16], cjk_font(30), (40, 40, 40, 255)),
        (moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"), cjk_font(30), (40, 40, 40, 255)),
        ("PAdES · SHA-256", cjk_font(26), (110, 110, 110, 255)),
    ]
    top = 22
    for text, font, colour in lines:
        draw.text((24, top), text, font=font, fill=colour)
        top += font.size + 20
    return PdfImage(image)


def _empty_signature_field(reader: PdfFileReader) -> str | None:
    for name, _value, _reference in fields.enumerate_sig_fields(reader, filled_status=False):
        return name
    return None


def sign_pdf(pdf_bytes: bytes, signer: signers.SimpleSigner, *, reason: str, location: str,
             timestamper: TimeStamper | None = None) -> bytes:
    """`pdf_bytes` certified with the organisation's signature (PAdES B-B, SHA-256; B-T with a `timestamper`).

    The signature goes into the empty field `render_contract` left beside the seal, so it shows there;
    a PDF without one gets an invisible signature.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    field_name = _empty_signature_field(writer.prev)
    signer_name = _signer_name(signer.signing_cert)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name or "developer_signature",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=strip_controls(reason),
        location=strip_controls(location),
        name=signer_name,
        certify=True,
        # The buyer's drawn signature is already in the page; later signatures (a platform's, a timestamp) may
        # still be added, any other change shows as a violation.
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    pdf_signer = signers.PdfSigner(
        metadata, signer=signer, timestamper=timestamper,
        stamp_style=StaticStampStyle(background=_appearance(signer_name, timezone.now()), border_width=0),
    )
    return pdf_signer.sign_pdf(writer).getvalue()


@dataclass(frozen=True)
class VerificationResult:
    intact: bool  # the signed bytes hash to what was signed
    valid: bool  # intact, the signature checks out against a trusted certificate, and no forbidden change
    signer: str
    signed_at: datetime | None  # as the signer's clock said, Asia/Shanghai
    timestamped_at: datetime | None  # as a trusted time-stamping authority attests (B-T), Asia/Shanghai
    covers_whole_file: bool  # nothing was appended after the signature
    message: str


def verify_pdf(pdf_bytes: bytes, ca_pem: bytes) -> VerificationResult:
    """Check the document's last signature against `ca_pem` as the only trust root. Never raises for a bad
    file: a damaged or tampered one is reported as such."""
    try:
        trust_roots = list(load_certs_from_pemder_data(ca_pem))
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(_("The certificate is not a PEM or DER certificate."), field="ca_certificate",
                               code="invalid_certificate") from exc
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
        if not signatures:
            return VerificationResult(intact=False, valid=False, signer="", signed_at=None, timestamped_at=None,
                                      covers_whole_file=False, message=_("The document is not signed."))
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        statuses = [validate_pdf_signature(signature, context) for signature in signatures]
    except Exception:  # noqa: BLE001 — a hostile file can break the parser anywhere; the caller gets a verdict
        logger.info("contract PDF could not be verified", exc_info=True)
        return VerificationResult(intact=False, valid=False, signer="", signed_at=None, timestamped_at=None,
                                  covers_whole_file=False,
                                  message=_("The file is damaged: it cannot be read as a signed PDF."))
    last = statuses[-1]
    intact = all(status.intact for status in statuses)
    trusted = all(status.valid and status.trusted for status in statuses)
    covers_whole_file = last.coverage == SignatureCoverageLevel.ENTIRE_FILE
    valid = intact and all(status.bottom_line for status in statuses)
    signed_at = last.signer_reported_dt.astimezone(SHANGHAI) if last.signer_reported_dt else None
    stamp = last.timestamp_validity
    timestamped_at = (stamp.timestamp.astimezone(SHANGHAI)
                      if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else None)
    if not intact:
        message = _("The document was changed after it was signed.")
    elif not trusted:
        message = _("The signature is intact, but its certificate is not one we trust.")
    elif not valid:
        message = _("Content that the signature does not allow was added after signing.")
    elif not covers_whole_file:
        message = _("The signature is valid, and content was added after it.")
    else:
        message = _("The signature is valid and the document is unchanged since it was signed.")
    return VerificationResult(intact=intact, valid=valid, signer=_signer_name(last.signing_cert), signed_at=signed_at,
                              timestamped_at=timestamped_at, covers_whole_file=covers_whole_file, message=message)
