from decimal import Decimal

import pytest

from yunlou.core.errors import ValidationFailed
from yunlou.core.money import format_wan, format_yuan, yuan_to_fen
from yunlou.core.phone import mask_phone, normalize_phone


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678"])
def test_mainland_mobile_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["", "12812345678", "1381234567", "138123456789", "abc", "0571-88886666",
                                 "138０００００066", "١٣٨١٢٣٤٥٦٧٨"])
def test_anything_else_is_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as error:
        normalize_phone(raw, field="mobile")
    assert error.value.field == "mobile"


def test_masking_keeps_first_three_and_last_four_or_six():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("13812345678", keep_tail=6) == "138**345678"


@pytest.mark.parametrize(("value", "fen"), [
    ("2860000", 286_000_000), (2860000, 286_000_000), ("1,234.56", 123_456), (Decimal("0.01"), 1), (89.1, 8910),
])
def test_yuan_become_integer_fen(value, fen):
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", ["abc", "1.001", "", "NaN", "Infinity", "1E+999999", "1e20"])
def test_what_is_not_money_is_refused(value):
    with pytest.raises(ValueError):
        yuan_to_fen(value)


def test_amounts_read_the_way_buyers_read_them():
    assert format_yuan(286_000_000) == "¥2,860,000"
    assert format_yuan(123_456) == "¥1,234.56"
    # lists: 万 with one decimal, always, so that a column of prices lines up
    assert format_wan(286_000_000) == "286.0万"
    assert format_wan(286_500_000) == "286.5万"
    assert format_wan(286_460_000) == "286.5万"
    assert format_wan(99_999_000) == "100.0万"
    assert format_wan(84_200_000_000) == "8.42亿"
    assert format_wan(80_000_000_000) == "8.00亿"
