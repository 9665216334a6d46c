"""The mortgage calculator against published figures and against an independent month-by-month simulation.

The reference below never uses the closed-form formulas the module uses: it walks the loan month by month in exact
Fraction arithmetic, and finds the 等额本息 payment from the fact that the final balance is linear in the payment.
"""

import inspect
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from yunlou.showroom.mortgage import (
    Instalment,
    LoanKind,
    MortgageInputError,
    MortgagePlan,
    RepaymentMethod,
    mortgage_plan,
)

EQUAL_INSTALMENT = RepaymentMethod.EQUAL_INSTALMENT
EQUAL_PRINCIPAL = RepaymentMethod.EQUAL_PRINCIPAL
BOTH_METHODS = [EQUAL_INSTALMENT, EQUAL_PRINCIPAL]


def fen(yuan: str) -> int:
    return int(Decimal(yuan.replace(",", "")) * 100)


def round_half_up(amount: Fraction) -> int:
    return math.floor(amount + Fraction(1, 2))


def monthly_rate(annual_percent: str) -> Fraction:
    return Fraction(annual_percent) / 100 / 12


def final_balance_and_interest(principal: int, annual_percent: str, months: int, payment: Fraction):
    """Exactly what is still owed after `months` equal payments, and the interest charged on the way."""
    rate = monthly_rate(annual_percent)
    balance, interest_paid = Fraction(principal), Fraction(0)
    for _ in range(months):
        interest = balance * rate
        interest_paid += interest
        balance += interest - payment
    return balance, interest_paid


def exact_equal_instalment(principal: int, annual_percent: str, months: int) -> Fraction:
    # The final balance is a linear function of the payment, so two simulations locate its zero exactly.
    owed_paying_nothing, _ = final_balance_and_interest(principal, annual_percent, months, Fraction(0))
    owed_paying_one_fen, _ = final_balance_and_interest(principal, annual_percent, months, Fraction(1))
    return owed_paying_nothing / (owed_paying_nothing - owed_paying_one_fen)


def reference(principal: int, annual_percent: str, months: int, method: RepaymentMethod) -> dict[str, int]:
    """First and last payment and total interest of one loan, by simulation."""
    if method is EQUAL_INSTALMENT:
        payment = exact_equal_instalment(principal, annual_percent, months)
        balance, interest_paid = final_balance_and_interest(principal, annual_percent, months, payment)
        assert balance == 0
        first = last = payment
    else:
        rate, repaid_each_month = monthly_rate(annual_percent), Fraction(principal, months)
        balance, interest_paid, payments = Fraction(principal), Fraction(0), []
        for _ in range(months):
            interest = balance * rate
            interest_paid += interest
            payments.append(repaid_each_month + interest)
            balance -= repaid_each_month
        assert balance == 0
        first, last = payments[0], payments[-1]
    total_interest = round_half_up(interest_paid)
    return {
        "first_payment": round_half_up(first),
        "last_payment": round_half_up(last),
        "total_interest": total_interest,
        "total_repayment": principal + total_interest,
    }


def figures(plan_or_part) -> dict[str, int]:
    return {
        name: getattr(plan_or_part, name)
        for name in ("first_payment", "last_payment", "total_interest", "total_repayment")
    }


def plan(**overrides) -> MortgagePlan:
    inputs = {
        "price": fen("2,000,000"),
        "down_payment_percent": Decimal(50),
        "years": 30,
        "method": EQUAL_INSTALMENT,
        "kind": LoanKind.COMMERCIAL,
        "commercial_rate": Decimal("4.90"),
        "provident_fund_rate": Decimal("3.25"),
    }
    return mortgage_plan(**(inputs | overrides))


def combined_plan(method: RepaymentMethod) -> MortgagePlan:
    return plan(
        price=fen("2,860,000"),
        down_payment_percent=Decimal(30),
        method=method,
        kind=LoanKind.COMBINED,
        commercial_rate=Decimal("3.50"),
        provident_fund_rate=Decimal("2.85"),
        provident_fund_amount=fen("1,200,000"),
    )


# Published figures ------------------------------------------------------------------------------------------------


def test_a_million_commercial_over_thirty_years_at_4_90_equal_instalment_matches_bank_calculators():
    million = plan()

    assert (million.down_payment, million.loan_amount) == (fen("1,000,000"), fen("1,000,000"))
    assert million.first_payment == million.last_payment == fen("5,307.27")
    # The published total comes from the unrounded payment; 360 × 5,307.27 − 1,000,000 would be 910,617.20.
    assert million.total_interest == fen("910,616.19")
    assert million.total_repayment == fen("1,910,616.19")


def test_a_million_commercial_over_thirty_years_at_4_90_equal_principal_matches_bank_calculators():
    million = plan(method=EQUAL_PRINCIPAL)

    assert million.first_payment == fen("6,861.11")
    assert million.last_payment == fen("2,789.12")  # 2,777.78 principal + 11.34 interest
    assert million.total_interest == fen("737,041.67")
    assert million.total_repayment == fen("1,737,041.67")


def test_a_million_from_the_provident_fund_at_3_25_costs_4_352_06_a_month():
    provident = plan(kind=LoanKind.PROVIDENT_FUND, commercial_rate=Decimal("99"))  # the unused rate is not checked

    assert provident.first_payment == provident.last_payment == fen("4,352.06")
    assert provident.parts[0].annual_rate == Decimal("3.25")


# Against the independent simulation -------------------------------------------------------------------------------

SINGLE_LOANS = [
    # (kind, price, down payment %, years, rate %)
    (LoanKind.COMMERCIAL, fen("1,000,000"), "0", 30, "4.90"),
    (LoanKind.COMMERCIAL, fen("3,456,789.01"), "35", 25, "3.95"),
    (LoanKind.COMMERCIAL, fen("888,888.88"), "15", 1, "24"),
    (LoanKind.PROVIDENT_FUND, fen("1,000,000"), "0", 30, "3.25"),
    (LoanKind.PROVIDENT_FUND, fen("1,234,567.89"), "20", 17, "2.85"),
    (LoanKind.PROVIDENT_FUND, fen("600,000"), "30", 5, "2.35"),
]


@pytest.mark.parametrize("method", BOTH_METHODS)
@pytest.mark.parametrize(("kind", "price", "percent", "years", "rate"), SINGLE_LOANS)
def test_first_and_last_payments_and_totals_agree_with_a_month_by_month_simulation(
    kind, price, percent, years, rate, method
):
    single = plan(
        price=price,
        down_payment_percent=Decimal(percent),
        years=years,
        method=method,
        kind=kind,
        commercial_rate=Decimal(rate),
        provident_fund_rate=Decimal(rate),
    )

    assert single.down_payment == round_half_up(price * Fraction(percent) / 100)
    assert single.loan_amount == price - single.down_payment
    assert figures(single) == reference(single.loan_amount, rate, years * 12, method)
    assert figures(single.parts[0]) == figures(single)


@pytest.mark.parametrize(("kind", "price", "percent", "years", "rate"), SINGLE_LOANS)
def test_paying_the_rounded_equal_instalment_leaves_the_smallest_possible_balance(kind, price, percent, years, rate):
    single = plan(
        price=price,
        down_payment_percent=Decimal(percent),
        years=years,
        kind=kind,
        commercial_rate=Decimal(rate),
        provident_fund_rate=Decimal(rate),
    )
    months, payment = years * 12, single.first_payment

    def owed_after_paying(amount: int) -> Fraction:
        return abs(final_balance_and_interest(single.loan_amount, rate, months, Fraction(amount))[0])

    assert owed_after_paying(payment) <= owed_after_paying(payment - 1)
    assert owed_after_paying(payment) <= owed_after_paying(payment + 1)
    # Half a fen too much or too little each month, compounded, is all that may be left over.
    assert owed_after_paying(payment) <= Fraction(1, 2) * months * (1 + monthly_rate(rate)) ** months


@pytest.mark.parametrize("method", BOTH_METHODS)
def test_a_combined_loan_is_a_provident_part_and_a_commercial_part_each_computed_on_its_own(method):
    combined = combined_plan(method)

    assert (combined.down_payment, combined.loan_amount) == (fen("858,000"), fen("2,002,000"))
    provident, commercial = combined.parts
    assert (provident.kind, provident.principal, provident.annual_rate) == (
        LoanKind.PROVIDENT_FUND, fen("1,200,000"), Decimal("2.85")
    )
    assert (commercial.kind, commercial.principal, commercial.annual_rate) == (
        LoanKind.COMMERCIAL, fen("802,000"), Decimal("3.50")
    )
    assert figures(provident) == reference(fen("1,200,000"), "2.85", 360, method)
    assert figures(commercial) == reference(fen("802,000"), "3.50", 360, method)

    alone = {
        LoanKind.PROVIDENT_FUND: plan(
            price=fen("1,200,000"), down_payment_percent=Decimal(0), method=method,
            kind=LoanKind.PROVIDENT_FUND, provident_fund_rate=Decimal("2.85"),
        ),
        LoanKind.COMMERCIAL: plan(
            price=fen("802,000"), down_payment_percent=Decimal(0), method=method,
            kind=LoanKind.COMMERCIAL, commercial_rate=Decimal("3.50"),
        ),
    }
    for part in combined.parts:
        assert figures(part) == figures(alone[part.kind])

    for name, combined_figure in figures(combined).items():
        assert combined_figure == getattr(provident, name) + getattr(commercial, name)
    assert combined.total_repayment == combined.loan_amount + combined.total_interest


def test_combined_loan_figures_a_buyer_would_see():
    # Cross-checked with the simulation above; pinned so a regression shows in yuan, not in a diff of dicts.
    instalment, principal = combined_plan(EQUAL_INSTALMENT), combined_plan(EQUAL_PRINCIPAL)

    assert [part.first_payment for part in instalment.parts] == [fen("4,962.69"), fen("3,601.34")]
    assert instalment.first_payment == instalment.last_payment == fen("8,564.03")
    # 3,333.33 + 2,850.00 and 2,227.78 + 2,339.17 would make 10,750.28: each part is rounded as a whole instead.
    assert [part.first_payment for part in principal.parts] == [fen("6,183.33"), fen("4,566.94")]
    assert principal.first_payment == fen("10,750.27")
    assert [part.last_payment for part in principal.parts] == [fen("3,341.25"), fen("2,234.28")]
    assert principal.last_payment == fen("5,575.53")


@pytest.mark.parametrize("rate", ["0", "0.00"])
@pytest.mark.parametrize("method", BOTH_METHODS)
def test_an_interest_free_loan_is_repaid_in_equal_slices(method, rate):
    free = plan(
        price=fen("360,000"), down_payment_percent=Decimal(0), method=method, commercial_rate=Decimal(rate)
    )

    assert free.first_payment == free.last_payment == fen("1,000")
    assert free.total_interest == 0
    assert free.total_repayment == fen("360,000")


@pytest.mark.parametrize("method", BOTH_METHODS)
def test_an_interest_free_loan_that_does_not_divide_evenly_still_repays_exactly(method):
    free = plan(
        price=fen("100,000"), down_payment_percent=Decimal(0), years=1, method=method, commercial_rate=Decimal(0)
    )

    assert free.first_payment == fen("8,333.33")
    assert free.total_interest == 0
    rows = list(free.schedule())
    assert sum(row.payment for row in rows) == fen("100,000")
    assert {row.interest for row in rows} == {0}
    assert rows[-1].balance == 0


# The schedule ------------------------------------------------------------------------------------------------------

ALL_PLANS = {
    "commercial": lambda method: plan(method=method),
    "provident fund": lambda method: plan(method=method, kind=LoanKind.PROVIDENT_FUND),
    "combined": combined_plan,
}


@pytest.mark.parametrize("method", BOTH_METHODS)
@pytest.mark.parametrize("which", ALL_PLANS)
def test_the_schedule_repays_exactly_the_loan_and_ends_at_zero(which, method):
    chosen = ALL_PLANS[which](method)
    rows = list(chosen.schedule())

    assert [row.number for row in rows] == list(range(1, chosen.months + 1))
    assert sum(row.principal for row in rows) == chosen.loan_amount
    assert rows[-1].balance == 0
    assert all(row.payment == row.principal + row.interest for row in rows)
    assert all(row.principal > 0 and row.interest > 0 for row in rows)
    balances_before = [chosen.loan_amount] + [row.balance for row in rows[:-1]]
    assert all(before - row.principal == row.balance for before, row in zip(balances_before, rows, strict=True))
    # Under 等额本金 principal and interest are booked each rounded: a row may be a fen per part off the headline.
    assert abs(rows[0].payment - chosen.first_payment) <= (0 if method is EQUAL_INSTALMENT else len(chosen.parts))
    # Interest is booked on the rounded balance month by month, so the schedule may differ from the headline total
    # by rounding, never by more than a couple of yuan.
    assert abs(sum(row.interest for row in rows) - chosen.total_interest) <= fen("3")


@pytest.mark.parametrize("which", ALL_PLANS)
def test_equal_instalment_schedule_pays_the_same_every_month_and_settles_rounding_in_the_last(which):
    chosen = ALL_PLANS[which](EQUAL_INSTALMENT)
    rows = list(chosen.schedule())

    assert {row.payment for row in rows[:-1]} == {chosen.first_payment}
    assert abs(rows[-1].payment - chosen.last_payment) <= fen("3")


@pytest.mark.parametrize("which", ALL_PLANS)
def test_equal_principal_schedule_follows_the_formula_to_the_fen_every_month(which):
    chosen = ALL_PLANS[which](EQUAL_PRINCIPAL)
    rows = list(chosen.schedule())

    def exact_payment(number: int) -> Fraction:
        # Simulated separately from the module's closed form: the balance after number − 1 equal principal slices.
        total = Fraction(0)
        for part in chosen.parts:
            slice_ = Fraction(part.principal, part.months)
            balance = part.principal - (number - 1) * slice_
            total += slice_ + balance * monthly_rate(str(part.annual_rate))
        return total

    per_month_principal = sum(Fraction(part.principal, part.months) for part in chosen.parts)
    for row in rows:
        # Principal within a fen of P/n, interest within half a fen (plus a hair) of the exact figure, per part.
        assert abs(row.principal - per_month_principal) < len(chosen.parts)
        assert abs(row.payment - exact_payment(row.number)) < Fraction(3, 2) * len(chosen.parts) + Fraction(1, 100)
    assert abs(rows[-1].payment - chosen.last_payment) <= len(chosen.parts)
    assert all(earlier.payment > later.payment for earlier, later in zip(rows, rows[1:], strict=False))


def test_the_schedule_is_generated_on_demand_and_not_kept_on_the_plan():
    chosen = plan()

    assert inspect.isgenerator(chosen.schedule())
    assert "schedule" not in vars(chosen)
    assert next(chosen.schedule()) == Instalment(
        number=1,
        payment=fen("5,307.27"),
        principal=fen("1,223.94"),
        interest=fen("4,083.33"),
        balance=fen("998,776.06"),
    )
    assert list(chosen.schedule()) == list(chosen.schedule())


# Inputs ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": 0}, "price"),
        ({"price": -fen("1")}, "price"),
        ({"down_payment_percent": Decimal("-0.01")}, "down_payment_percent"),
        ({"down_payment_percent": Decimal("100.01")}, "down_payment_percent"),
        ({"down_payment_percent": Decimal(100)}, "down_payment_percent"),
        ({"down_payment_percent": Decimal("NaN")}, "down_payment_percent"),
        ({"price": 1, "down_payment_percent": Decimal(60)}, "down_payment_percent"),  # rounds to a 1-fen down payment
        ({"years": 0}, "years"),
        ({"years": 31}, "years"),
        ({"commercial_rate": Decimal("-0.01")}, "commercial_rate"),
        ({"commercial_rate": Decimal("24.01")}, "commercial_rate"),
        ({"commercial_rate": Decimal("Infinity")}, "commercial_rate"),
        ({"kind": LoanKind.PROVIDENT_FUND, "provident_fund_rate": Decimal("-1")}, "provident_fund_rate"),
        ({"kind": LoanKind.PROVIDENT_FUND, "provident_fund_rate": Decimal(25)}, "provident_fund_rate"),
        ({"kind": LoanKind.COMBINED, "provident_fund_rate": Decimal(25), "provident_fund_amount": 1},
         "provident_fund_rate"),
        ({"kind": LoanKind.COMBINED, "commercial_rate": Decimal(25), "provident_fund_amount": 1}, "commercial_rate"),
        ({"kind": LoanKind.COMBINED}, "provident_fund_amount"),
        ({"kind": LoanKind.COMBINED, "provident_fund_amount": 0}, "provident_fund_amount"),
        ({"kind": LoanKind.COMBINED, "provident_fund_amount": -fen("1")}, "provident_fund_amount"),
        ({"kind": LoanKind.COMBINED, "provident_fund_amount": fen("1,000,000")}, "provident_fund_amount"),
        ({"kind": LoanKind.COMBINED, "provident_fund_amount": fen("1,000,001")}, "provident_fund_amount"),
        ({"method": "balloon"}, "method"),
        ({"kind": "car_loan"}, "kind"),
    ],
)
def test_every_unusable_input_is_refused_in_chinese_naming_its_field(overrides, field):
    with pytest.raises(MortgageInputError) as error:
        plan(**overrides)

    assert error.value.field == field
    assert isinstance(error.value, ValueError)
    assert str(error.value) == error.value.message
    assert any("\u4e00" <= character <= "\u9fff" for character in error.value.message)


def test_the_term_error_tells_the_buyer_the_allowed_range():
    with pytest.raises(MortgageInputError, match="贷款年限须在1到30年之间"):
        plan(years=40)


@pytest.mark.parametrize(
    "overrides",
    [
        {"years": 1},
        {"years": 30},
        {"down_payment_percent": Decimal(0)},
        {"down_payment_percent": Decimal("99.99")},
        {"commercial_rate": Decimal(24)},
        {"commercial_rate": Decimal(0)},
        {"kind": LoanKind.COMBINED, "provident_fund_amount": 1},
        {"kind": LoanKind.COMBINED, "provident_fund_amount": fen("1,000,000") - 1},
        {"method": "equal_principal", "kind": "combined", "provident_fund_amount": fen("500,000")},
    ],
)
def test_inputs_at_the_edges_of_the_allowed_ranges_are_accepted(overrides):
    assert plan(**overrides).loan_amount > 0


@pytest.mark.parametrize("kind", [LoanKind.COMMERCIAL, LoanKind.PROVIDENT_FUND])
def test_a_provident_fund_amount_is_ignored_unless_the_loan_is_combined(kind):
    with_amount = plan(kind=kind, provident_fund_amount=fen("5,000,000"))

    assert with_amount == plan(kind=kind)
    assert [part.kind for part in with_amount.parts] == [kind]


@pytest.mark.parametrize(
    "overrides",
    [{"commercial_rate": 4.9}, {"down_payment_percent": 30.0}, {"price": 2_000_000.0}, {"years": True}],
)
def test_floats_are_refused_as_a_programming_error(overrides):
    with pytest.raises(TypeError):
        plan(**overrides)
