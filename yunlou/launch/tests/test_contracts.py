import base64
import io
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import numpy
import pytest
from PIL import Image, ImageDraw
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from yunlou.core.errors import ValidationFailed
from yunlou.launch.contracts import (
    ContractData,
    PaymentLine,
    amount_in_words,
    company_seal_png,
    default_clauses,
    demo_ca_and_certificate,
    load_signer,
    render_contract,
    sha256_hex,
    sign_pdf,
    verify_pdf,
)

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
DEVELOPER = "云楼示范置业有限公司"


def drawn_signature() -> bytes:
    """What signature_pad sends: dark strokes on a transparent canvas."""
    image = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 180), (150, 60), (230, 200), (330, 70), (420, 190), (560, 90)],
                               fill=(20, 20, 20, 255), width=9)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def contract(**changes) -> ContractData:
    values = dict(
        contract_number="YL-2025-000123", project_name="云楼·江畔花园", developer_name=DEVELOPER,
        unit_code="3-1201", floor=12, gross_area_m2=Decimal("89.5"), price_fen=123_450_000,
        buyer_name="王磊", buyer_id_masked="3101**********1234",
        signed_at=datetime(2025, 6, 1, 2, 30, tzinfo=UTC),
        payment_plan=(
            PaymentLine("定金", 5_000_000, date(2025, 6, 1)),
            PaymentLine("首付款", 32_035_000, date(2025, 6, 30)),
            PaymentLine("按揭贷款", 86_410_000, note="银行放款"),
        ),
        clauses=tuple(default_clauses()),
    )
    values.update(changes)
    return ContractData(**values)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Count"])


@pytest.fixture(scope="module")
def certificates():
    return demo_ca_and_certificate(DEVELOPER)


@pytest.fixture(scope="module")
def seal():
    return company_seal_png(DEVELOPER)


@pytest.fixture(scope="module")
def rendered(seal):
    return render_contract(contract(), buyer_signature=drawn_signature(), seal=seal)


@pytest.fixture(scope="module")
def signed(rendered, certificates):
    signer = load_signer(certificates.certificate_pem, certificates.private_key_pem, certificates.ca_pem)
    return sign_pdf(rendered, signer, reason="商品房买卖合同签约", location="上海")


# --- amounts in capitals -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("fen", "words"), [
    (0, "零元整"),
    (1, "壹分"),
    (50, "伍角"),
    (1_000, "壹拾元整"),
    (1_050, "壹拾元伍角"),
    (11_000, "壹佰壹拾元整"),
    (32_504, "叁佰贰拾伍元零肆分"),
    (140_950, "壹仟肆佰零玖元伍角"),
    (600_714, "陆仟零柒元壹角肆分"),
    (1_640_902, "壹万陆仟肆佰零玖元零贰分"),
    (10_000_005, "壹拾万元零伍分"),
    (10_010_000, "壹拾万零壹佰元整"),
    (100_000_000, "壹佰万元整"),
    (100_050_000, "壹佰万零伍佰元整"),
    (100_500_000, "壹佰万伍仟元整"),  # a 0 in the 万 place alone may be left unread, like the 元 place
    (123_450_000, "壹佰贰拾叁万肆仟伍佰元整"),
    (1_001_000_000, "壹仟零壹万元整"),
    (10_000_000_100, "壹亿零壹元整"),
    (10_000_000_000, "壹亿元整"),
    (99_999_999_999_999, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_amount_in_words_follows_the_rules_for_filling_in_bills(fen, words):
    assert amount_in_words(fen) == words


@pytest.mark.parametrize("fen", [-1, 100_000_000_000_000])
def test_amount_in_words_refuses_negative_and_absurd_amounts(fen):
    with pytest.raises(ValueError):
        amount_in_words(fen)


# --- rendering ---------------------------------------------------------------------------------------------

def test_contract_text_is_chinese_with_the_price_in_figures_and_in_capitals(rendered):
    text = pdf_text(rendered)
    assert "商品房买卖合同" in text
    assert DEVELOPER in text and "王磊" in text and "3-1201" in text
    assert "¥1,234,500.00" in text
    assert "壹佰贰拾叁万肆仟伍佰元整" in text
    assert "2025年6月1日" in text  # 02:30 UTC is 10:30 in Shanghai, the same day
    assert "叁拾贰万零叁佰伍拾元整" in text  # the down payment line


def test_the_sign_date_is_the_date_in_shanghai():
    late_evening_utc = datetime(2025, 6, 1, 17, 0, tzinfo=UTC)  # 01:00 on 2 June in Shanghai
    text = pdf_text(render_contract(contract(signed_at=late_evening_utc, clauses=())))
    assert "2025年6月2日" in text and "2025年6月1日" not in text.split("付款计划")[0]


def test_first_page_shows_the_chinese_text_the_signature_and_the_seal(rendered):
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = ARTIFACTS / "contract-page1"
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", "-", str(prefix)],
                   input=rendered, check=True, timeout=60)
    page = numpy.asarray(Image.open(f"{prefix}.png").convert("RGB")).astype(int)
    assert page_count(rendered) == 1
    red, green, blue = page[..., 0], page[..., 1], page[..., 2]
    assert ((red > 170) & (green < 90) & (blue < 90)).sum() > 300  # the seal's ring, star and name
    height, width = red.shape
    lower_right = page[height * 2 // 3:, width // 2:]
    assert (lower_right.max(axis=2) < 60).sum() > 100  # the buyer's strokes


def test_long_clauses_flow_onto_further_pages_and_the_signing_block_follows(seal, certificates):
    promise = "双方应当诚实守信，按约履行本合同项下的各项义务。"
    clauses = tuple(f"第{number}项约定：" + promise * 12 for number in range(40))
    pdf = render_contract(contract(clauses=clauses), buyer_signature=drawn_signature(), seal=seal)
    pages = page_count(pdf)
    assert pages >= 3
    signer = load_signer(certificates.certificate_pem, certificates.private_key_pem, certificates.ca_pem)
    signature = PdfFileReader(io.BytesIO(sign_pdf(pdf, signer, reason="签约", location="上海"))).embedded_signatures[0]
    assert signature.sig_field["/P"] == PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"][pages - 1]


def test_a_hostile_buyer_name_renders_as_plain_text():
    hostile = "<b>王</b>&amp;<script>alert(1)</script>\x00\x07\u202e磊" + "长" * 5000
    pdf = render_contract(contract(buyer_name=hostile), buyer_signature=drawn_signature())
    text = pdf_text(pdf)
    assert "<b>王</b>&amp;<script>alert(1)</script>磊" in text
    assert "\x07" not in text and "\u202e" not in text
    assert page_count(pdf) >= 2  # the whole name is kept in the parties, wrapping over as many lines as it needs


def test_a_clause_with_an_unknown_placeholder_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        render_contract(contract(clauses=("房价{price}", "{__class__}")))
    assert refused.value.field == "clauses" and refused.value.code == "unknown_placeholder"


def test_clause_placeholders_are_filled_and_braces_in_values_stay_literal():
    text = pdf_text(render_contract(contract(clauses=("总价{price}，大写{price_in_words}，乙方{buyer_name}",),
                                             buyer_name="{price}")))
    assert "总价¥1,234,500.00，大写壹佰贰拾叁万肆仟伍佰元整，乙方{price}" in text


def test_the_signature_is_accepted_as_a_data_url():
    data_url = "data:image/png;base64," + base64.b64encode(drawn_signature()).decode()
    assert render_contract(contract(clauses=()), buyer_signature=data_url).startswith(b"%PDF")


def test_an_empty_signature_pad_is_refused():
    blank = io.BytesIO()
    Image.new("RGBA", (600, 240), (0, 0, 0, 0)).save(blank, format="PNG")
    with pytest.raises(ValidationFailed) as refused:
        render_contract(contract(), buyer_signature=blank.getvalue())
    assert refused.value.field == "signature" and refused.value.code == "empty_signature"


@pytest.mark.parametrize("bad", [b"not an image", "data:text/html;base64,PGI+", "data:image/png;base64,@@@",
                                 b"GIF89a" + b"\x00" * 20])
def test_a_signature_that_is_not_a_picture_is_refused(bad):
    with pytest.raises(ValidationFailed) as refused:
        render_contract(contract(), buyer_signature=bad)
    assert refused.value.field == "signature"


def test_the_demo_seal_is_a_round_red_transparent_png():
    seal = Image.open(io.BytesIO(company_seal_png(DEVELOPER)))
    assert seal.format == "PNG" and seal.mode == "RGBA" and seal.width == seal.height
    assert seal.getpixel((0, 0))[3] == 0  # outside the ring is transparent
    red, _green, _blue, alpha = seal.getpixel((seal.width // 2, seal.height // 2))  # the star's centre
    assert alpha > 200 and red > 180


# --- signing and verifying -----------------------------------------------------------------------------------

def test_a_signed_contract_verifies_as_valid_and_intact_with_the_developer_as_signer(signed, certificates):
    result = verify_pdf(signed, certificates.ca_pem)
    assert result.intact and result.valid and result.covers_whole_file
    assert result.signer == DEVELOPER
    assert result.signed_at is not None and str(result.signed_at.tzinfo) == "Asia/Shanghai"


def test_the_signature_is_visible_beside_the_seal_on_the_signing_page(signed):
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    left, bottom, right, top = (float(value) for value in signature.sig_field["/Rect"])
    assert right - left > 50 and top - bottom > 30
    assert "/AP" in signature.sig_field
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_signing_changes_the_hash(rendered, signed):
    assert sha256_hex(signed) != sha256_hex(rendered) and len(sha256_hex(signed)) == 64


def test_a_flipped_byte_in_the_signed_content_is_detected(signed, certificates):
    start = signed.index(b"stream", len(signed) // 4) + len(b"stream") + 40
    tampered = bytearray(signed)
    tampered[start] ^= 0x01
    result = verify_pdf(bytes(tampered), certificates.ca_pem)
    assert not result.intact and not result.valid


def test_bytes_appended_after_signing_are_reported(signed, certificates):
    result = verify_pdf(signed + b"\n% appended after signing\n", certificates.ca_pem)
    assert result.intact and not result.covers_whole_file


def test_an_incremental_update_after_signing_is_reported_as_not_valid(signed, certificates):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.add_stream_to_page(0, writer.add_object(generic.StreamObject(stream_data=b"0 0 m 100 100 l S")))
    output = io.BytesIO()
    writer.write(output)
    result = verify_pdf(output.getvalue(), certificates.ca_pem)
    assert result.intact and not result.covers_whole_file and not result.valid


def test_a_signature_from_another_ca_is_not_trusted(signed):
    result = verify_pdf(signed, demo_ca_and_certificate("别的公司").ca_pem)
    assert result.intact and not result.valid


@pytest.mark.parametrize("garbage", [b"", b"hello", b"%PDF-1.7\n1 0 obj <<", b"%PDF-1.4\n" + b"\xff" * 500])
def test_a_file_that_is_no_pdf_is_reported_as_broken_not_raised(garbage, certificates):
    result = verify_pdf(garbage, certificates.ca_pem)
    assert not result.intact and not result.valid and result.signer == ""


def test_an_unsigned_contract_is_reported_as_not_signed(rendered, certificates):
    result = verify_pdf(rendered, certificates.ca_pem)
    assert not result.valid and not result.intact and result.signer == "" and result.signed_at is None


def test_load_signer_refuses_a_key_that_is_not_the_certificates(certificates):
    other = demo_ca_and_certificate(DEVELOPER)
    with pytest.raises(ValidationFailed) as refused:
        load_signer(certificates.certificate_pem, other.private_key_pem, certificates.ca_pem)
    assert refused.value.field == "private_key"


def test_load_signer_refuses_a_certificate_that_is_no_certificate(certificates):
    with pytest.raises(ValidationFailed) as refused:
        load_signer(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
                    certificates.private_key_pem, certificates.ca_pem)
    assert refused.value.field == "certificate"
