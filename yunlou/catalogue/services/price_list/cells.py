"""Reading one cell of a price list the way sales offices write it.

Every function takes a raw cell (None, str, int, float, Decimal, as openpyxl, xlrd and csv give them) and
returns a clean value or raises ValueError with a message for the user, which the caller turns into a
row error naming the row and column. Text is NFKC-normalised first, so full-width digits and signs
(１２０１、５＃楼、２，８６０，０００) read like their ASCII forms.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

MAX_AREA = Decimal("9999.99")
MAX_PRICE_FEN = 10**13  # ¥100 billion: anything above is a typo, not a flat

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9}
_CHINESE_NUMBER = r"[零〇一二两三四五六七八九十]{1,3}"


def text(value) -> str:
    """A cell as one line of clean text: normalised, without control characters, trimmed. (The apostrophe our
    exports put before text that would start a formula is already off: `open_spreadsheet` takes it off.)"""
    if value is None:
        return ""
    if isinstance(value, float):
        value = int(value) if value.is_integer() and abs(value) < 1e18 else repr(value)
    result = unicodedata.normalize("NFKC", str(value))
    return _CONTROL.sub("", re.sub(r"[\t\r\n]+", " ", result)).strip()


def chinese_int(value: str) -> int | None:
    """1–99 written in digits or in Chinese (二、十二、二十), else None."""
    if re.fullmatch(r"\d{1,3}", value):
        return int(value)
    if not re.fullmatch(_CHINESE_NUMBER, value):
        return None
    if "十" not in value:
        return _CHINESE_DIGITS[value] if len(value) == 1 else None
    tens, _sep, ones = value.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (_CHINESE_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CHINESE_DIGITS.get(ones, 0) if ones else 0)


@dataclass(frozen=True)
class Number:
    """A number as written: its value and the step of its last written digit (0.01 for "32135.00"),
    which says how precisely it was stated."""

    value: Decimal
    step: Decimal


def _number(raw, *, strip: tuple[str, ...] = ()) -> Number:
    """A plain non-negative decimal from a cell; `strip` lists unit words that may follow it."""
    if isinstance(raw, bool):
        raise ValueError("boolean")
    if isinstance(raw, int):
        return Number(Decimal(raw), Decimal(1))
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueError("not finite")
        # A formula's cached result carries binary noise (2859999.9999999995); six places are far beyond
        # any precision a price list states.
        raw = Decimal(repr(round(raw, 6))).normalize()
        step = Decimal(1).scaleb(min(0, raw.as_tuple().exponent))
        return Number(raw, step)
    written = text(raw).replace(" ", "").replace(",", "")
    for word in strip:
        if written.endswith(word):
            written = written[: -len(word)]
    if not re.fullmatch(r"-?\d{1,16}(\.\d{1,8})?", written):
        raise ValueError("not a number")
    value = Decimal(written)
    return Number(value, Decimal(1).scaleb(min(0, value.as_tuple().exponent)))


@dataclass(frozen=True)
class Money:
    fen: int  # rounded to the fen, as stored
    exact_fen: Decimal  # as written (a 单价 may carry more places than a fen)
    step_fen: Decimal  # the precision it was written in, in fen


def parse_total(raw, *, in_wan: bool = False) -> Money:
    """总价: 2860000, "2,860,000", "¥2,860,000.00", "2860000元", "286.5万" (or any figure under a 总价(万元) header)."""
    if text(raw) == "":
        raise ValueError(_("Total price is required."))
    cleaned = raw
    if isinstance(raw, str):
        cleaned = text(raw).replace(" ", "")
        for prefix in ("¥", "RMB", "CNY", "人民币"):
            cleaned = cleaned.removeprefix(prefix)
        if cleaned.endswith(("万元", "万")):
            cleaned, in_wan = cleaned.removesuffix("元").removesuffix("万"), True
        cleaned = cleaned.removesuffix("元")
    try:
        number = _number(cleaned)
    except ValueError as exc:
        raise ValueError(_("Total price must be an amount in yuan, such as 2860000 or 2,860,000.")) from exc
    scale = Decimal(10_000 if in_wan else 1) * 100
    fen, step = number.value * scale, number.step * scale
    if fen <= 0:
        raise ValueError(_("Total price must be more than 0."))
    if fen != fen.to_integral_value():
        raise ValueError(_("Total price is more precise than one fen."))
    if fen > MAX_PRICE_FEN:
        raise ValueError(_("Total price is implausibly large."))
    return Money(int(fen), fen, step)


def parse_unit_price(raw, *, in_wan: bool = False) -> Money:
    """单价 in yuan per m²: 32135, "32,135.00", "32135元/㎡"."""
    cleaned = raw
    if isinstance(raw, str):
        cleaned = text(raw).replace(" ", "").removeprefix("¥")
        for suffix in ("元/m2", "元/平方米", "元/平米", "元"):
            cleaned = cleaned.removesuffix(suffix)
    try:
        number = _number(cleaned)
    except ValueError as exc:
        raise ValueError(_("Price per m² must be an amount in yuan, such as 32135.")) from exc
    scale = Decimal(10_000 if in_wan else 1) * 100
    fen = number.value * scale
    if fen <= 0:
        raise ValueError(_("Price per m² must be more than 0."))
    if fen > MAX_PRICE_FEN:
        raise ValueError(_("Price per m² is implausibly large."))
    return Money(int(fen.quantize(Decimal(1), ROUND_HALF_UP)), fen, number.step * scale)


def parse_area(raw, *, label: str) -> Decimal:
    """建筑面积 / 套内面积 in m²: 89, 89.5, "89.50㎡"."""
    try:
        number = _number(raw, strip=("m2", "平方米", "平米", "平"))
    except ValueError as exc:
        raise ValueError(_("%(column)s must be a number of m², such as 89.50.") % {"column": label}) from exc
    area = number.value
    if area <= 0 or area > MAX_AREA:
        raise ValueError(_("%(column)s must be more than 0 and at most 9999.99 m².") % {"column": label})
    if area != area.quantize(Decimal("0.01")):
        raise ValueError(_("%(column)s has at most two decimal places.") % {"column": label})
    return area.quantize(Decimal("0.01"))


def parse_floor(raw) -> int:
    """楼层: 12, "12层", "12F", "第12层"."""
    written = text(raw).upper().replace(" ", "").removeprefix("第")
    written = re.sub(r"(层|楼|F)$", "", written)
    if not re.fullmatch(r"-?\d{1,3}", written) or int(written) == 0:
        raise ValueError(_("Floor must be a floor number, such as 12."))
    return int(written)


def parse_entrance(raw) -> int:
    """单元: 2, "2单元", "二单元", "02"."""
    written = text(raw).replace(" ", "").removesuffix("单元")
    number = chinese_int(written)
    if number is None or number < 1:
        raise ValueError(_("Entrance (单元) must be a number such as 2, 2单元 or 二单元."))
    return number


# 5、5#、5#楼、5号楼、5幢、5栋、5座 (and 五号楼): the building's number followed by one of these words.
BUILDING_WORDS = r"(?:号楼|号幢|号栋|#楼|#|号|幢|栋|座|楼)"


def building_keys(raw) -> list[str]:
    """The ways to look a written building up: as written, and its number without the building word."""
    written = text(raw).replace(" ", "").upper()
    if not written:
        return []
    keys = [written]
    match = re.fullmatch(rf"(.+?){BUILDING_WORDS}", written)
    if match:
        keys.append(match[1])
    for key in list(keys):
        number = chinese_int(key)
        if number is not None and not key.isdigit():
            keys.append(str(number))
    return keys


@dataclass(frozen=True)
class UnitCode:
    """What a written unit code says. `prefix` is the bare "5" of "5-1201": the building, or, when the
    building is given in its own column and has several entrances, possibly the entrance."""

    building: str | None
    entrance: int | None
    floor: int
    position: int
    bare_prefix: bool = False


_ROOM = r"(?P<room>\d{3,4})(?:室|号)?"
_ENTRANCE = rf"(?P<entrance>\d{{1,2}}|{_CHINESE_NUMBER})"
_BUILDING = r"(?P<building>[0-9A-Z]+?)"
# Tried in order; the first that matches the whole code wins.
_CODE_PATTERNS = [
    (re.compile(rf"{_BUILDING}{BUILDING_WORDS}-?{_ENTRANCE}单元-?{_ROOM}"), False),  # 5幢2单元1201, 5#2单元1201
    (re.compile(rf"{_BUILDING}-{_ENTRANCE}单元-?{_ROOM}"), False),  # 5-2单元1201
    (re.compile(rf"{_BUILDING}{BUILDING_WORDS}-?{_ROOM}"), False),  # 5#1201, 5#-1201, 5幢1201
    (re.compile(rf"{_ENTRANCE}单元-?{_ROOM}"), False),  # 2单元1201 (the building in its own column)
    (re.compile(r"(?P<building>[0-9A-Z]+)-(?P<entrance>\d{1,2})-" + _ROOM), False),  # 5-2-1201
    (re.compile(r"(?P<building>[0-9A-Z]+)-" + _ROOM), True),  # 5-1201
    (re.compile(_ROOM), False),  # 1201
]


def parse_unit_code(raw) -> UnitCode:
    written = text(raw).replace(" ", "").upper()
    if not written:
        raise ValueError(_("Unit code is required."))
    for pattern, bare in _CODE_PATTERNS:
        match = pattern.fullmatch(written)
        if match is None:
            continue
        parts = match.groupdict()
        room = parts["room"]
        floor, position = int(room[:-2]), int(room[-2:])
        if floor == 0 or position == 0:
            break
        entrance = chinese_int(parts["entrance"]) if parts.get("entrance") else None
        if entrance == 0:
            break
        return UnitCode(building=parts.get("building"), entrance=entrance, floor=floor, position=position,
                        bare_prefix=bare)
    raise ValueError(_(
        "“%(value)s” is not a unit code: write the room number (1201, floor 12 position 01), with the building "
        "and entrance if the sheet has no column for them (5-1201, 5#1201, 5-2-1201, 5幢2单元1201)."
    ) % {"value": written[:40]})


@dataclass(frozen=True)
class Layout:
    rooms: int
    halls: int
    bathrooms: int

    @property
    def label(self) -> str:
        return f"{self.rooms}室{self.halls}厅{self.bathrooms}卫"


_LAYOUT = re.compile(
    rf"(?P<rooms>\d|{_CHINESE_NUMBER})[室房居]"
    rf"(?:(?P<halls>\d|{_CHINESE_NUMBER})厅)?"
    rf"(?:(?P<kitchens>\d|{_CHINESE_NUMBER})厨)?"
    rf"(?:(?P<bathrooms>\d|{_CHINESE_NUMBER})卫)?"
)


def find_layout(raw) -> tuple[Layout | None, str]:
    """A layout (3室2厅2卫, 三房两厅) inside a cell, and the cell's text without it."""
    written = text(raw).replace(" ", "")
    match = _LAYOUT.search(written)
    if match is None:
        return None, written
    rooms = chinese_int(match["rooms"]) or 0
    halls = chinese_int(match["halls"]) if match["halls"] else 1
    bathrooms = chinese_int(match["bathrooms"]) if match["bathrooms"] else 1
    if not 1 <= rooms <= 20 or halls is None or bathrooms is None or halls > 20 or bathrooms > 20:
        return None, written
    rest = (written[: match.start()] + written[match.end():]).strip("()（）[]【】-_/·,， ")
    return Layout(rooms, halls, bathrooms), rest


_ORIENTATIONS = [("南北", "NS"), ("东南", "SE"), ("西南", "SW"), ("南", "S"), ("东", "E"), ("西", "W"), ("北", "N")]


def parse_orientation(raw) -> str:
    """朝向 as the floor plan's orientation code; "" when it says something we do not track."""
    written = text(raw).replace(" ", "").removeprefix("朝")
    for word, code in _ORIENTATIONS:
        if written.startswith(word):
            return code
    return ""
