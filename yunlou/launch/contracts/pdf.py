"""The purchase contract (商品房买卖合同) as a PDF: Chinese text, the buyer's drawn signature, the developer's seal.

The contract's wording is Chinese whatever language the viewer's interface speaks: it is the legal instrument
both parties sign, so its text must not change with a browser's locale. It therefore does not go through
gettext; only the errors a user can cause do.

Fonts: Debian's fonts-noto-cjk ships CFF-flavoured OpenType collections, which reportlab cannot embed
("postscript outlines are not supported"). Each render subsets the Simplified Chinese face to the characters
the contract uses (about 0.5 s) and converts those outlines to TrueType quadratics with fontTools, so the PDF
embeds exactly the glyphs it shows and reads the same in every viewer — which a signed document must.

The render leaves an empty signature field over the developer's seal: `signing.sign_pdf` signs into it, so the
visible signature sits where the seal is, as Chinese e-seals do.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from fontTools import subset as font_subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont as FontToolsFont
from fontTools.ttLib import newTable
from PIL import Image, ImageOps, UnidentifiedImageError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign.fields import SigFieldSpec, append_signature_field
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yunlou.core.errors import ValidationFailed
from yunlou.core.fonts import cjk_font_path
from yunlou.core.money import fen_to_yuan
from yunlou.core.text import strip_controls

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SELLER_SIGNATURE_FIELD = "developer_signature"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# An uploaded image costs memory by its pixels, not its bytes: both are bounded before decoding.
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 4000
# A single-line field longer than this is not data but an attack or a paste accident; it is shortened for
# display (the record keeps what it keeps) so that no table cell can outgrow a page.
MAX_FIELD_CHARS = 200


# ----------------------------------------------------------------------------------------------------------
# Amounts in Chinese capital numerals (大写金额)
# ----------------------------------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿")  # up to 9999亿: no unit price comes near it
_MAX_FEN = 10**12 * 100 - 1


def _group_in_words(group: int) -> str:
    """1–9999 in capitals; a run of zeros between digits reads as one 零, trailing zeros read as nothing."""
    words, pending_zero = [], False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append("零")
            pending_zero = False
        words.append(_DIGITS[digit] + _PLACES[place])
    return "".join(words)


def _yuan_in_words(yuan: int) -> str:
    groups = []
    while yuan:
        groups.append(yuan % 10_000)
        yuan //= 10_000
    words, pending_zero = [], False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(words)
            continue
        # Zeros between two non-zero digits read as one 零, also across 万 and 亿: 壹佰万零伍仟, 壹亿零壹元.
        if words and (pending_zero or group < 1000):
            words.append("零")
        words.append(_group_in_words(group) + _GROUPS[index])
        pending_zero = False
    return "".join(words)


def amount_in_words(fen: int) -> str:
    """`fen` written in capital numerals as cheques, invoices and contracts require (大写金额).

    The conventions are those of the People's Bank of China for filling in bills and settlement vouchers
    (《正确填写票据和结算凭证的基本规定》):
    - 拾 always has a digit before it: 壹拾元, 壹拾万元;
    - an amount that ends at 元 ends with 整 (壹佰万元整); one that ends at 角 or 分 does not (壹拾元伍角);
    - zeros between digits read as one 零 (壹仟零伍元, 壹佰万零伍仟元); when 角 is 0 but 分 is not, 零 follows
      元 (壹拾万元零伍分);
    - when the 元 digit alone is 0 and 角 is not, the rules allow 零 or nothing; we write nothing (壹拾元伍角),
      as bank software commonly does;
    - less than one yuan has no 元: 伍角, 壹分; nothing at all is 零元整.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amount_in_words takes integer fen")
    if not 0 <= fen <= _MAX_FEN:
        raise ValueError(f"amount out of range: {fen} fen")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if fen == 0:
        return "零元整"
    words = _yuan_in_words(yuan) + "元" if yuan else ""
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif fen_digit and yuan:
        words += "零"
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    if not cents:
        words += "整"
    return words


def format_price(fen: int) -> str:
    """¥1,234,500.00: a contract always shows the fen."""
    return f"¥{fen_to_yuan(fen):,.2f}"


# ----------------------------------------------------------------------------------------------------------
# The data a contract is made from
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine:
    """One line of the payment plan: 定金, 首付款, 按揭贷款…"""

    label: str
    amount_fen: int
    due: date | None = None
    note: str = ""


@dataclass(frozen=True)
class ContractData:
    contract_number: str
    project_name: str
    developer_name: str
    unit_code: str
    floor: int | str
    gross_area_m2: Decimal
    price_fen: int
    buyer_name: str
    buyer_id_masked: str
    signed_at: datetime
    payment_plan: Sequence[PaymentLine] = field(default_factory=tuple)
    clauses: Sequence[str] = field(default_factory=tuple)


PLACEHOLDERS = (
    "contract_number", "project_name", "developer_name", "unit_code", "floor", "gross_area",
    "price", "price_in_words", "buyer_name", "sign_date",
)
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def default_clauses() -> list[str]:
    """The demo project's clause template (templates/default_clauses.txt)."""
    text = (TEMPLATES_DIR / "default_clauses.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return [clause.strip() for clause in "\n".join(lines).split("\n\n") if clause.strip()]


def check_clauses(clauses: Sequence[str]) -> None:
    """Refuse a clause template that names a placeholder a contract cannot fill (for the template's form).

    Placeholders are plain `{name}` substitutions, not `str.format`: a template written by staff must not be
    able to reach attributes (`{0.__class__}`) or format specifications.
    """
    for number, clause in enumerate(clauses, start=1):
        for name in _PLACEHOLDER.findall(clause):
            if name not in PLACEHOLDERS:
                raise ValidationFailed(
                    _("Clause %(number)d uses an unknown placeholder {%(name)s}.") % {"number": number, "name": name},
                    field="clauses", code="unknown_placeholder",
                )


def fill_clause(template: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def _single_line(text: object) -> str:
    cleaned = " ".join(strip_controls(str(text)).split())
    return cleaned if len(cleaned) <= MAX_FIELD_CHARS else cleaned[: MAX_FIELD_CHARS - 1] + "…"


def _markup(text: str) -> str:
    """Plain text as reportlab Paragraph markup: escaped, line breaks kept."""
    return "<br/>".join(escape(line) for line in strip_controls(text).splitlines())


def _sign_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def _area(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def contract_values(data: ContractData) -> dict[str, str]:
    """Every placeholder's text for this contract, each on one line and free of control characters."""
    return {
        "contract_number": _single_line(data.contract_number),
        "project_name": _single_line(data.project_name),
        "developer_name": _single_line(data.developer_name),
        "unit_code": _single_line(data.unit_code),
        "floor": _single_line(data.floor),
        "gross_area": _area(data.gross_area_m2),
        "price": format_price(data.price_fen),
        "price_in_words": amount_in_words(data.price_fen),
        "buyer_name": _single_line(data.buyer_name),
        "sign_date": _sign_date(data.signed_at),
    }


# ----------------------------------------------------------------------------------------------------------
# Images: the buyer's signature and the developer's seal
# ----------------------------------------------------------------------------------------------------------

_DATA_URL = re.compile(r"^data:image/(png|jpeg);base64,", re.IGNORECASE)


def load_image(data: bytes | str, *, field: str) -> Image.Image:
    """A PNG or JPEG (bytes, or a data URL as signature_pad's toDataURL gives) as RGBA, bounded in size."""
    refused = ValidationFailed(_("The image is not a PNG or JPEG picture."), field=field, code="invalid_image")
    if isinstance(data, str):
        match = _DATA_URL.match(data)
        if not match or len(data) > MAX_IMAGE_BYTES * 4 // 3 + 100:
            raise refused
        try:
            data = base64.b64decode(data[match.end():], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise refused from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed(_("The image is larger than 2 MB."), field=field, code="image_too_large")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("PNG", "JPEG"):
            raise refused
        width, height = image.size
        if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
            raise ValidationFailed(_("The image is larger than 4000 × 4000 pixels."), field=field,
                                   code="image_too_large")
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refused from exc
    return image.convert("RGBA")


def has_ink(image: Image.Image) -> bool:
    """Whether anything is drawn: an empty signature pad gives a transparent (or white) picture."""
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image)
    return ImageOps.invert(flat.convert("L")).point(lambda value: 255 if value > 16 else 0).getbbox() is not None


# ----------------------------------------------------------------------------------------------------------
# Fonts
# ----------------------------------------------------------------------------------------------------------

_ALWAYS = "".join(chr(code) for code in range(0x20, 0x7F)) + "¥×…—·"


@functools.lru_cache(maxsize=8)
def _simplified_face_number(path: str) -> int:
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    number = 0
    while True:
        try:
            face = FontToolsFont(path, fontNumber=number, lazy=True)
        except (IndexError, OSError):
            return 0
        family = face["name"].getDebugName(1) or ""
        if "SC" in family.split() or "Simplified" in family:
            return number
        number += 1


def _truetype_subset(path: str, characters: str, postscript_name: str) -> bytes:
    """The font at `path` cut down to `characters`, with TrueType outlines that reportlab can embed."""
    face_number = _simplified_face_number(path)
    font = FontToolsFont(path, fontNumber=max(face_number, 0), lazy=True)
    options = font_subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.drop_tables += ["VORG", "vhea", "vmtx", "GSUB", "GPOS", "BASE", "DSIG"]
    subsetter = font_subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    if "CFF " in font:
        _cff_to_truetype(font)
    # reportlab shares one embedded font per PostScript name: every subset needs its own.
    for record in font["name"].names:
        if record.nameID == 6:
            record.string = postscript_name
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()


def _cff_to_truetype(font: FontToolsFont) -> None:
    glyph_set = font.getGlyphSet()
    glyph_order = font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        # 1 unit of 1000 is well below a printed dot; cubic curves run the other way round in TrueType.
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attribute in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                      "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def _characters(text: str) -> str:
    return "".join(sorted(set(text + _ALWAYS) - {"\n", "\r", "\t"}))


class _Fonts:
    """The regular and bold faces of one render, registered with reportlab for the render's duration only:
    reportlab's registry is process-wide and would otherwise keep every contract's subset forever."""

    def __init__(self, text: str, bold_text: str) -> None:
        characters = _characters(text)
        self.names: list[str] = []
        regular_path, bold_path = cjk_font_path(False), cjk_font_path(True)
        if regular_path is None:
            logger.warning("no Chinese font installed: the contract uses a viewer-supplied font")
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            self.regular = self.bold = "STSong-Light"
            return
        tag = hashlib.sha256(characters.encode()).hexdigest()[:12] + uuid.uuid4().hex[:8]
        self.regular = self._register(regular_path, characters, f"YunlouCJK-{tag}")
        # Only the title and headings are bold: a subset of their characters halves the font work.
        self.bold = self._register(bold_path or regular_path, _characters(bold_text), f"YunlouCJKBold-{tag}")

    def _register(self, path: str, characters: str, name: str) -> str:
        font = TTFont(name, io.BytesIO(_truetype_subset(path, characters, name)))
        pdfmetrics.registerFont(font)
        self.names.append(name)
        return name

    def release(self) -> None:
        for name in self.names:
            font = pdfmetrics._fonts.pop(name, None)
            if font is not None:
                pdfmetrics._dynFaceNames.pop(font.face.name, None)


# ----------------------------------------------------------------------------------------------------------
# Layout
# ----------------------------------------------------------------------------------------------------------

TITLE = "商品房买卖合同"
HEADINGS = ("第一条　房屋基本情况", "第二条　付款计划", "第二条　合同条款", "第三条　合同条款")
SEAL_SIZE = 34 * mm
_INK = colors.HexColor("#222222")
_RULE = colors.HexColor("#999999")


@dataclass
class _Anchor:
    """Where the signing block landed: page index and the signature field's box in PDF points."""

    page_index: int = 0
    box: tuple[int, int, int, int] = (0, 0, 0, 0)


class _SigningBlock(Flowable):
    """The two signing boxes side by side: 出卖人 with the seal, 买受人 with the drawn signature."""

    def __init__(self, *, seller: str, buyer: str, sign_date: str, seal: Image.Image | None,
                 signature: Image.Image | None, fonts: _Fonts, anchor: _Anchor) -> None:
        super().__init__()
        self.seller, self.buyer, self.sign_date = seller, buyer, sign_date
        self.seal, self.signature, self.fonts, self.anchor = seal, signature, fonts, anchor
        self.height = 58 * mm

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.height

    def _fit(self, label: str, name: str, width: float) -> str:
        text = label + name
        while pdfmetrics.stringWidth(text, self.fonts.regular, 10.5) > width and len(name) > 1:
            name = name[:-1]
            text = label + name + "…"
        return text

    def draw(self):
        canvas, half, top = self.canv, self.width / 2, self.height
        canvas.setFillColor(_INK)
        canvas.setFont(self.fonts.regular, 10.5)
        canvas.drawString(0, top - 12, self._fit("出卖人（甲方）：", self.seller, half - 8 * mm))
        canvas.drawString(half + 4 * mm, top - 12, self._fit("买受人（乙方）：", self.buyer, half - 4 * mm))
        canvas.setFont(self.fonts.regular, 9)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(0, top - 26, "（盖章）")
        canvas.drawString(half + 4 * mm, top - 26, "（签字）")

        seal_x, seal_y = 6 * mm, top - 30 - SEAL_SIZE
        if self.seal is not None:
            canvas.drawImage(ImageReader(self.seal), seal_x, seal_y, SEAL_SIZE, SEAL_SIZE, mask="auto",
                             preserveAspectRatio=True, anchor="c")
        # The digital signature's visible field: beside the seal, inside the seller's half.
        field_x, field_y = seal_x + SEAL_SIZE + 3 * mm, seal_y + 4 * mm
        field_width, field_height = min(42 * mm, half - (field_x + 2 * mm)), 22 * mm
        left, bottom = canvas.absolutePosition(field_x, field_y)
        self.anchor.page_index = canvas.getPageNumber() - 1
        self.anchor.box = (round(left), round(bottom), round(left + field_width), round(bottom + field_height))

        box_x, box_y, box_width, box_height = half + 4 * mm, top - 30 - 30 * mm, half - 6 * mm, 30 * mm
        canvas.setStrokeColor(_RULE)
        canvas.setDash(2, 2)
        canvas.rect(box_x, box_y, box_width, box_height)
        canvas.setDash()
        if self.signature is not None:
            canvas.drawImage(ImageReader(self.signature), box_x + 2, box_y + 2, box_width - 4, box_height - 4,
                             mask="auto", preserveAspectRatio=True, anchor="c")

        canvas.setFillColor(_INK)
        canvas.setFont(self.fonts.regular, 10.5)
        canvas.drawString(0, 4, f"签署日期：{self.sign_date}")
        canvas.drawString(half + 4 * mm, 4, f"签署日期：{self.sign_date}")


def _styles(fonts: _Fonts) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=fonts.regular, fontSize=10, leading=15.5, wordWrap="CJK",
                          textColor=_INK)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=fonts.bold, fontSize=20, leading=28,
                                alignment=1, spaceAfter=3 * mm),
        "heading": ParagraphStyle("heading", parent=body, fontName=fonts.bold, fontSize=12, leading=18,
                                  spaceBefore=2.5 * mm, spaceAfter=1.5 * mm),
        "body": body,
        "clause": ParagraphStyle("clause", parent=body, spaceAfter=1 * mm),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=13),
    }


def _table(rows: list[list[str]], styles, widths) -> Table:
    cells = [[Paragraph(_markup(text), styles["cell"]) for text in row] for row in rows]
    table = Table(cells, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3f3f3")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _payment_rows(plan: Sequence[PaymentLine]) -> list[list[str]]:
    rows = [["款项", "金额", "大写", "付款期限", "说明"]]
    for line in plan:
        due = f"{line.due.year}年{line.due.month}月{line.due.day}日" if line.due else "—"
        rows.append([_single_line(line.label), format_price(line.amount_fen), amount_in_words(line.amount_fen),
                     due, _single_line(line.note) or "—"])
    return rows


def render_contract(data: ContractData, *, buyer_signature: bytes | str | None = None,
                    seal: bytes | None = None) -> bytes:
    """The contract as A4 PDF bytes, with the buyer's signature and the developer's seal when given.

    `buyer_signature` is a PNG from signature_pad (bytes or its data URL); `seal` the developer's seal PNG.
    Bad clause templates and bad or empty images raise `ValidationFailed` naming the field.
    """
    check_clauses(data.clauses)
    values = contract_values(data)
    clauses = [fill_clause(template, values) for template in data.clauses]
    signature_image = load_image(buyer_signature, field="signature") if buyer_signature is not None else None
    if signature_image is not None and not has_ink(signature_image):
        raise ValidationFailed(_("Please sign before submitting."), field="signature", code="empty_signature")
    seal_image = load_image(seal, field="seal") if seal is not None else None
    buyer_name = strip_controls(str(data.buyer_name))
    plan_rows = _payment_rows(data.payment_plan)

    all_text = "".join([
        TITLE, "合同编号第页出卖人甲方买受人乙方证件号码房屋基本情况项目名称房号所在楼层建筑面积平方米总价款大写",
        "付款计划合同条款条款第条签署日期盖章签字一二三四五六七八九十（）：；、。．　",
        buyer_name, *values.values(), *clauses, *(cell for row in plan_rows for cell in row),
    ])
    fonts = _Fonts(all_text, TITLE + "".join(HEADINGS))
    try:
        return _build(data, values, clauses, plan_rows, buyer_name, fonts, signature_image, seal_image)
    finally:
        fonts.release()


def _build(data, values, clauses, plan_rows, buyer_name, fonts, signature_image, seal_image) -> bytes:
    styles = _styles(fonts)
    width = A4[0] - 40 * mm
    contract_number = values["contract_number"]

    def decorate(canvas, document):
        canvas.saveState()
        canvas.setFont(fonts.regular, 8.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawRightString(A4[0] - 20 * mm, A4[1] - 12 * mm, f"合同编号：{contract_number}")
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    story = [
        Paragraph(TITLE, styles["title"]),
        Paragraph(_markup(f"合同编号：{contract_number}"), styles["body"]),
        Paragraph(_markup(f"出卖人（甲方）：{values['developer_name']}"), styles["body"]),
        # The buyer's name as given, only cleaned: a Paragraph splits across pages, so no length can break it.
        Paragraph(_markup(f"买受人（乙方）：{' '.join(buyer_name.split())}"), styles["body"]),
        Paragraph(_markup(f"证件号码：{_single_line(data.buyer_id_masked)}"), styles["body"]),
        Paragraph(HEADINGS[0], styles["heading"]),
        _table([
            ["项目名称", values["project_name"]],
            ["房号", values["unit_code"]],
            ["所在楼层", f"{values['floor']}层"],
            ["建筑面积", f"{values['gross_area']}平方米"],
            ["总价款", f"{values['price']}（大写：{values['price_in_words']}）"],
        ], styles, [32 * mm, width - 32 * mm]),
    ]
    if data.payment_plan:
        story += [
            Paragraph(HEADINGS[1], styles["heading"]),
            _table(plan_rows, styles, [24 * mm, 34 * mm, width - 24 * mm - 34 * mm - 32 * mm - 26 * mm,
                                       32 * mm, 26 * mm]),
        ]
    if clauses:
        story.append(Paragraph(HEADINGS[3] if data.payment_plan else HEADINGS[2], styles["heading"]))
        story += [Paragraph(f"{number}．{_markup(clause)}", styles["clause"])
                  for number, clause in enumerate(clauses, start=1)]
    anchor = _Anchor()
    story.append(KeepTogether([Spacer(1, 5 * mm), _SigningBlock(
        seller=values["developer_name"], buyer=values["buyer_name"], sign_date=values["sign_date"],
        seal=seal_image, signature=signature_image, fonts=fonts, anchor=anchor,
    )]))

    output = io.BytesIO()
    document = SimpleDocTemplate(
        output, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=18 * mm,
        title=f"{TITLE} {contract_number}", author=values["developer_name"], subject=values["unit_code"],
        creator="Yunlou", invariant=True,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return _with_signature_field(output.getvalue(), anchor)


def _with_signature_field(pdf: bytes, anchor: _Anchor) -> bytes:
    """The PDF rewritten (not appended to) with an empty signature field where the seller signs."""
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf)))
    append_signature_field(writer, SigFieldSpec(
        sig_field_name=SELLER_SIGNATURE_FIELD, on_page=anchor.page_index, box=anchor.box,
    ))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
