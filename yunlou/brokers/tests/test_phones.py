"""Number forms: full, 前三后四 and 前四后三, and which forms may be the same person (the table in phones.py)."""

import pytest

from yunlou.brokers.models import Referral, ReferralStatus
from yunlou.brokers.phones import NumberMode, matches, reported_number
from yunlou.brokers.tests.factories import broker_make, customer_make, report, rules_make
from yunlou.core.errors import ValidationFailed

X = "13812345678"
Y = "13899995678"  # X with the middle digits changed: same 3+4 and 3+3, different 4+3 and full number
FORMS = {NumberMode.FULL: lambda n: n, NumberMode.MASKED_34: lambda n: f"{n[:3]}****{n[-4:]}",
         NumberMode.MASKED_43: lambda n: f"{n[:4]}****{n[-3:]}"}


def test_a_full_number_is_read_with_every_key():
    number = reported_number("138 1234-5678", mode=NumberMode.FULL)
    assert (number.shown, number.full) == (X, X)
    assert number.key_full and number.key_34 and number.key_43 and number.key_33
    assert number.identity_key == number.key_full


def test_masked_numbers_are_read_in_their_own_form_with_any_mask_character():
    m34 = reported_number("138xxxx5678", mode=NumberMode.MASKED_34)
    m43 = reported_number("1381＊＊＊＊678", mode=NumberMode.MASKED_43)
    assert (m34.shown, m34.full, m34.key_full, m34.key_43) == ("138****5678", "", None, None)
    assert (m43.shown, m43.full, m43.key_full, m43.key_34) == ("1381****678", "", None, None)
    assert m34.identity_key == m34.key_34 and m43.identity_key == m43.key_43


@pytest.mark.parametrize("mode, shown", [(NumberMode.MASKED_34, "138****5678"), (NumberMode.MASKED_43, "1381****678")])
def test_a_full_number_given_in_a_masked_project_is_masked_and_not_kept(mode, shown):
    number = reported_number(X, mode=mode)
    assert (number.shown, number.full, number.key_full) == (shown, "", None)
    assert number == reported_number(shown, mode=mode)


@pytest.mark.parametrize("mode, raw, code", [
    (NumberMode.FULL, "138****5678", "phone_full_required"),
    (NumberMode.FULL, "1381234567", None),
    (NumberMode.FULL, "", None),
    (NumberMode.MASKED_34, "1381****678", "phone_mask"),
    (NumberMode.MASKED_43, "138****5678", "phone_mask"),
    (NumberMode.MASKED_34, "123****5678", "phone_mask"),
    (NumberMode.MASKED_34, "abc", None),
])
def test_bad_input_names_the_field(mode, raw, code):
    with pytest.raises(ValidationFailed) as caught:
        reported_number(raw, mode=mode, field="customer_phone")
    assert caught.value.field == "customer_phone"
    if code:
        assert caught.value.code == code


def test_a_masked_number_matches_only_the_full_numbers_it_could_be():
    assert matches(reported_number("138****5678", mode=NumberMode.MASKED_34), Y)
    assert not matches(reported_number("1381****678", mode=NumberMode.MASKED_43), Y)
    assert matches(reported_number("1381****678", mode=NumberMode.MASKED_43), X)
    assert not matches(reported_number(X, mode=NumberMode.FULL), Y)


# The table of phones.py for X against Y: full numbers differ, 3+4 and 3+3 agree, 4+3 differs.
CONFLICT_WITH_Y = {
    ("full", "full"): False, ("full", "m34"): True, ("full", "m43"): False,
    ("m34", "full"): True, ("m34", "m34"): True, ("m34", "m43"): True,
    ("m43", "full"): False, ("m43", "m34"): True, ("m43", "m43"): False,
}


@pytest.mark.django_db
@pytest.mark.parametrize("first, second", list(CONFLICT_WITH_Y))
@pytest.mark.parametrize("other", ["same", "middle_digits_differ"])
def test_reports_across_forms_conflict_exactly_as_the_table_says(project, first, second, other):
    rules_make(project, number_mode=first)
    a = report(broker_make(project.organization), project, FORMS[first](X))
    assert a.status == ReferralStatus.REPORTED
    rules_make(project, number_mode=second)
    b = report(broker_make(project.organization), project, FORMS[second](X if other == "same" else Y))
    conflict = other == "same" or CONFLICT_WITH_Y[(first, second)]
    assert b.status == (ReferralStatus.REJECTED if conflict else ReferralStatus.REPORTED)


@pytest.mark.django_db
@pytest.mark.parametrize("mode, conflicts_with_y", [("full", False), ("m34", True), ("m43", False)])
def test_a_customer_of_the_project_is_found_by_every_form(project, mode, conflicts_with_y):
    customer_make(project, X)
    rules_make(project, number_mode=mode)
    broker = broker_make(project.organization)
    assert report(broker, project, FORMS[mode](X)).status == ReferralStatus.REJECTED
    other = report(broker, project, FORMS[mode](Y))
    assert other.status == (ReferralStatus.REJECTED if conflicts_with_y else ReferralStatus.REPORTED)


@pytest.mark.django_db
def test_a_full_number_reported_in_a_masked_project_is_not_stored(project):
    rules_make(project, number_mode="m34")
    referral = report(broker_make(project.organization), project, X)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.phone, stored.phone_shown, stored.key_full) == ("", "138****5678", None)
