"""Mainland resident identity card numbers (居民身份证号码, GB 11643-1999): normalising, checking, masking.

An 18-character number is six digits of the place of registration, eight of the birth date (YYYYMMDD), three of
sequence (odd for men, even for women) and a check character: with the weights 2^(17−i) mod 11 of the first
17 digits, the weighted sum mod 11 picks the check character from "10X98765432". A number is refused, naming
what is wrong, when its length, its province (the first two digits), its birth date or its check character is
wrong — the last catches any one mistyped digit and almost every swap of two neighbours.
"""

import datetime
import re

from django.utils.translation import gettext as _

from yunlou.core.errors import ValidationFailed

_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # [0-9], not \d: \d also matches full-width digits
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK_CHARACTERS = "10X98765432"
# Province-level codes (GB/T 2260): the mainland's 31, and 71/81/82 as issued for Taiwan, Hong Kong and Macao.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
_OLDEST_BIRTH = datetime.date(1900, 1, 1)


def check_character(first_17: str) -> str:
    return _CHECK_CHARACTERS[sum(int(digit) * weight for digit, weight in zip(first_17, _WEIGHTS, strict=True)) % 11]


def normalize_id_number(raw: str, *, field: str = "id_number", today: datetime.date | None = None) -> str:
    """The 18-character number with an upper-case X, spaces removed; raise ValidationFailed naming the fault."""
    value = re.sub(r"\s", "", str(raw or "")).upper()
    if not _SHAPE.match(value):
        raise ValidationFailed(_("Enter the 18-character mainland ID number (17 digits and a digit or X)."),
                               field=field)
    if value[:2] not in PROVINCES:
        raise ValidationFailed(_("This ID number's first two digits name no province."), field=field)
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationFailed(_("This ID number's birth date (digits 7 to 14) is no real date."),
                               field=field) from None
    if not _OLDEST_BIRTH <= birth <= (today or datetime.date.today()):
        raise ValidationFailed(_("This ID number's birth date (digits 7 to 14) is no real date."), field=field)
    if check_character(value[:17]) != value[17]:
        raise ValidationFailed(_("This ID number's last character does not match the others: check each digit."),
                               field=field)
    return value


def id_number_birth_date(id_number: str) -> datetime.date:
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def mask_id_number(id_number: str) -> str:
    """前六后四 as banks print it: 110105********123X."""
    if not id_number:
        return ""
    if len(id_number) != 18:
        return "*" * len(id_number)
    return id_number[:6] + "*" * 8 + id_number[-4:]
