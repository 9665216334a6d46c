"""The purchase contract of an online launch: render it (pdf), seal it (seal), sign and verify it (signing).

    pdf = render_contract(data, buyer_signature=signature_png_or_data_url, seal=seal_png)
    signed = sign_pdf(pdf, load_signer(cert_pem, key_pem, ca_pem), reason="签约", location="上海",
                      timestamper=load_timestamper(url=tsa_url))  # optional: PAdES B-T
    result = verify_pdf(signed, ca_pem)
"""

from .pdf import (
    PLACEHOLDERS,
    ContractData,
    PaymentLine,
    amount_in_words,
    check_clauses,
    default_clauses,
    format_price,
    render_contract,
)
from .seal import company_seal_png
from .signing import (
    OrganisationCertificates,
    VerificationResult,
    demo_ca_and_certificate,
    load_signer,
    load_timestamper,
    sha256_hex,
    sign_pdf,
    verify_pdf,
)

__all__ = [
    "PLACEHOLDERS", "ContractData", "OrganisationCertificates", "PaymentLine", "VerificationResult",
    "amount_in_words", "check_clauses", "company_seal_png", "default_clauses", "demo_ca_and_certificate",
    "format_price", "load_signer", "load_timestamper", "render_contract", "sha256_hex", "sign_pdf", "verify_pdf",
]
