import datetime

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from yunlou.core.errors import ValidationFailed
from yunlou.core.id_numbers import check_character, id_number_birth_date, mask_id_number, normalize_id_number

TODAY = datetime.date(2026, 11, 27)
# The example of GB 11643-1999 itself, and one ending in a digit.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standards_own_example_is_valid_and_its_birth_date_read():
    assert normalize_id_number(STANDARD_EXAMPLE, today=TODAY) == STANDARD_EXAMPLE
    assert id_number_birth_date(STANDARD_EXAMPLE) == datetime.date(1949, 12, 31)


def test_a_lower_case_x_and_spaces_are_accepted_as_the_same_number():
    assert normalize_id_number(" 110105 19491231 002x ", today=TODAY) == STANDARD_EXAMPLE


@pytest.mark.parametrize("raw, says", [
    ("11010519491231002", "18-character"),
    ("110105194912310021", "last character"),  # wrong check digit
    ("１１０１０５１９４９１２３１００２X", "18-character"),  # full-width digits are not digits here
    ("99010519491231002X", "province"),
    ("110105194902301234", "birth date"),  # 30 February
    ("110105203001011234", "birth date"),  # born in the future
    ("110105189912311234", "birth date"),  # before 1900
    ("", "18-character"),
])
def test_a_wrong_number_is_refused_naming_the_fault(raw, says):
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        normalize_id_number(raw, field="buyer_id_number", today=TODAY)
    assert says in refused.value.message
    assert refused.value.field == "buyer_id_number"


@given(st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_one_mistyped_digit_is_caught_by_the_check_character(position, change):
    digits = list(STANDARD_EXAMPLE[:17])
    digits[position] = str((int(digits[position]) + change) % 10)
    assert check_character("".join(digits)) != STANDARD_EXAMPLE[17]


def test_the_number_is_masked_keeping_six_in_front_and_four_behind():
    assert mask_id_number(STANDARD_EXAMPLE) == "110105********002X"
    assert mask_id_number("") == ""
