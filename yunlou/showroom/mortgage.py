"""房贷计算器 — the showroom's mortgage calculator.

Pure Python (no Django), so views, the API and tests can all call it. Money goes in and out as integer fen (分);
everything in between is Decimal, because a float drifts by fen over 360 months of a multi-million loan.
Rates are annual percentages as banks quote them (Decimal("3.50") means 3.50 %), the monthly rate being annual / 12.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from typing import TypeVar

__all__ = [
    "Instalment",
    "LoanKind",
    "LoanPart",
    "MortgageInputError",
    "MortgagePlan",
    "RepaymentMethod",
    "mortgage_plan",
]

MAX_YEARS = 30  # the longest term banks and the housing provident fund (公积金) grant
MAX_ANNUAL_RATE = Decimal(24)  # anything above is usury under Chinese law, so certainly a typo
# An annual percentage divided by this is the monthly rate as a fraction (annual / 100 / 12).
_PERCENT_PER_YEAR_TO_MONTHLY = 1200
# (1 + r) ** 360 and the products after it need far more than the ~15 digits of a fen amount; 50 leaves no doubt
# about which way an amount rounds.
_CONTEXT = Context(prec=50)

_Choice = TypeVar("_Choice", bound=StrEnum)


class LoanKind(StrEnum):
    COMMERCIAL = "commercial"  # 商业贷款
    PROVIDENT_FUND = "provident_fund"  # 公积金贷款
    COMBINED = "combined"  # 组合贷款: a provident-fund part plus a commercial part for the rest


class RepaymentMethod(StrEnum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息: the same payment every month
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金: the same principal every month, interest falling


class MortgageInputError(ValueError):
    """A buyer's input the calculator cannot use; `message` is Chinese and shown to the buyer beside `field`."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Instalment:
    number: int  # 1-based month
    payment: int
    principal: int
    interest: int
    balance: int  # still owed after this payment


@dataclass(frozen=True)
class LoanPart:
    kind: LoanKind  # COMMERCIAL or PROVIDENT_FUND, never COMBINED
    principal: int
    annual_rate: Decimal
    months: int
    first_payment: int
    last_payment: int
    total_interest: int
    total_repayment: int


@dataclass(frozen=True)
class MortgagePlan:
    price: int
    down_payment: int
    loan_amount: int
    method: RepaymentMethod
    months: int
    parts: tuple[LoanPart, ...]  # one part, or for 组合贷 the provident-fund part then the commercial part
    first_payment: int
    last_payment: int
    total_interest: int
    total_repayment: int

    def schedule(self) -> Iterator[Instalment]:
        """Month by month over all parts, generated on demand (360 rows are rarely all wanted).

        Each row is what the bank books: interest on the outstanding balance and principal, each rounded to the fen.
        The plan's figures are the calculator's headline figures instead (each rounded once, from exact values), so:
        sums over the schedule can differ from `total_interest` by rounding (about a yuan on a ¥1,000,000 loan);
        under 等额本息 every row pays `first_payment` except the last, which settles the payment's rounding (a few
        yuan at most); under 等额本金 a row can be a fen per part off the formula, e.g. the first row of a 组合贷.
        """
        part_schedules = [_part_schedule(part=part, method=self.method) for part in self.parts]
        for rows in zip(*part_schedules, strict=True):
            yield Instalment(
                number=rows[0].number,
                payment=sum(row.payment for row in rows),
                principal=sum(row.principal for row in rows),
                interest=sum(row.interest for row in rows),
                balance=sum(row.balance for row in rows),
            )


def mortgage_plan(
    *,
    price: int,
    down_payment_percent: Decimal,
    years: int,
    method: RepaymentMethod,
    kind: LoanKind,
    commercial_rate: Decimal,
    provident_fund_rate: Decimal,
    provident_fund_amount: int | None = None,
) -> MortgagePlan:
    """Work out down payment, loan and repayments; raise MortgageInputError naming the first unusable input.

    Only the rates the chosen kind uses are checked, and `provident_fund_amount` is ignored unless kind is COMBINED,
    so a form can always send every field.
    """
    method = _choice(RepaymentMethod, method, field="method", message="请选择还款方式")
    kind = _choice(LoanKind, kind, field="kind", message="请选择贷款类型")

    if _whole_number(price, field="price") <= 0:
        raise MortgageInputError("房屋总价须大于0", "price")

    percent = _decimal(down_payment_percent, field="down_payment_percent")
    if not (percent.is_finite() and 0 <= percent <= 100):
        raise MortgageInputError("首付比例须在0%到100%之间", "down_payment_percent")
    with localcontext(_CONTEXT):
        down_payment = _round_fen(price * percent / 100)
    loan_amount = price - down_payment
    if loan_amount <= 0:
        raise MortgageInputError("首付已覆盖全部房款，无需贷款，请降低首付比例", "down_payment_percent")

    if not 1 <= _whole_number(years, field="years") <= MAX_YEARS:
        raise MortgageInputError(f"贷款年限须在1到{MAX_YEARS}年之间", "years")
    months = years * 12

    if kind in (LoanKind.COMMERCIAL, LoanKind.COMBINED):
        commercial_rate = _rate(commercial_rate, field="commercial_rate", name="商业贷款利率")
    if kind in (LoanKind.PROVIDENT_FUND, LoanKind.COMBINED):
        provident_fund_rate = _rate(provident_fund_rate, field="provident_fund_rate", name="公积金贷款利率")

    if kind is LoanKind.COMBINED:
        if provident_fund_amount is None:
            raise MortgageInputError("组合贷款须填写公积金贷款金额", "provident_fund_amount")
        if not 0 < _whole_number(provident_fund_amount, field="provident_fund_amount") < loan_amount:
            raise MortgageInputError("公积金贷款金额须大于0且小于贷款总额", "provident_fund_amount")
        split = [
            (LoanKind.PROVIDENT_FUND, provident_fund_amount, provident_fund_rate),
            (LoanKind.COMMERCIAL, loan_amount - provident_fund_amount, commercial_rate),
        ]
    elif kind is LoanKind.PROVIDENT_FUND:
        split = [(LoanKind.PROVIDENT_FUND, loan_amount, provident_fund_rate)]
    else:
        split = [(LoanKind.COMMERCIAL, loan_amount, commercial_rate)]

    parts = tuple(
        _loan_part(kind=part_kind, principal=principal, annual_rate=rate, months=months, method=method)
        for part_kind, principal, rate in split
    )
    # The parts run over the same months, so month-by-month sums are simply sums of the parts' figures.
    return MortgagePlan(
        price=price,
        down_payment=down_payment,
        loan_amount=loan_amount,
        method=method,
        months=months,
        parts=parts,
        first_payment=sum(part.first_payment for part in parts),
        last_payment=sum(part.last_payment for part in parts),
        total_interest=sum(part.total_interest for part in parts),
        total_repayment=sum(part.total_repayment for part in parts),
    )


def _loan_part(
    *, kind: LoanKind, principal: int, annual_rate: Decimal, months: int, method: RepaymentMethod
) -> LoanPart:
    with localcontext(_CONTEXT):
        if method is RepaymentMethod.EQUAL_INSTALMENT:
            exact_payment = _equal_instalment_payment(principal=principal, annual_rate=annual_rate, months=months)
            first_payment = last_payment = _round_fen(exact_payment)
            # Total interest comes from the unrounded payment, as bank calculators publish it: ¥1,000,000 at 4.90 %
            # over 30 years gives ¥910,616.19, whereas 360 × the displayed ¥5,307.27 would claim ¥910,617.20.
            total_interest = _round_fen(exact_payment * months - principal)
        else:
            first_payment = _round_fen(_equal_principal_payment(principal, annual_rate, months, number=1))
            last_payment = _round_fen(_equal_principal_payment(principal, annual_rate, months, number=months))
            # Interest on a balance falling linearly from P to P/n: P·r·(n + 1)/2. Dividing once, at the end, keeps
            # the result exact enough that a true half fen rounds up rather than landing a hair either side.
            total_interest = _round_fen(
                Decimal(principal) * annual_rate * (months + 1) / (2 * _PERCENT_PER_YEAR_TO_MONTHLY)
            )
    return LoanPart(
        kind=kind,
        principal=principal,
        annual_rate=annual_rate,
        months=months,
        first_payment=first_payment,
        last_payment=last_payment,
        total_interest=total_interest,
        total_repayment=principal + total_interest,
    )


def _equal_instalment_payment(*, principal: int, annual_rate: Decimal, months: int) -> Decimal:
    """等额本息: M = P·r·(1+r)^n / ((1+r)^n − 1), unrounded; P/n when interest-free (the formula would divide by 0)."""
    if annual_rate == 0:
        return Decimal(principal) / months
    rate = annual_rate / _PERCENT_PER_YEAR_TO_MONTHLY
    growth = (1 + rate) ** months
    return principal * rate * growth / (growth - 1)


def _equal_principal_payment(principal: int, annual_rate: Decimal, months: int, *, number: int) -> Decimal:
    """等额本金, month k: P/n + (P − (k−1)·P/n)·r, written over one denominator so it is divided only once."""
    remaining_months = months - number + 1
    numerator = Decimal(principal) * (_PERCENT_PER_YEAR_TO_MONTHLY + annual_rate * remaining_months)
    return numerator / (_PERCENT_PER_YEAR_TO_MONTHLY * months)


def _part_schedule(*, part: LoanPart, method: RepaymentMethod) -> Iterator[Instalment]:
    # No localcontext in here: a generator suspended inside one would leak its context into the caller.
    balance = part.principal
    for number in range(1, part.months + 1):
        interest = _monthly_interest(balance=balance, annual_rate=part.annual_rate)
        if method is RepaymentMethod.EQUAL_INSTALMENT:
            # The rounded payment is up to half a fen off the exact one; the last month settles whatever that left.
            # min() only matters for absurdly small loans, where a payment rounded up could overshoot the balance.
            principal = balance if number == part.months else min(part.first_payment - interest, balance)
        else:
            # Repay round(k·P/n) in total by month k rather than a fixed round(P/n): the principal then never drifts
            # more than a fen from P/n, every month's payment stays within a fen of the formula, and the last month
            # needs no lump correction.
            repaid_by_now = _divide_half_up(number * part.principal, part.months)
            principal = repaid_by_now - (part.principal - balance)
        balance -= principal
        yield Instalment(
            number=number, payment=principal + interest, principal=principal, interest=interest, balance=balance
        )


def _monthly_interest(*, balance: int, annual_rate: Decimal) -> int:
    """A month's interest as the bank books it: on the outstanding balance, rounded to the fen."""
    with localcontext(_CONTEXT):
        return _round_fen(balance * annual_rate / _PERCENT_PER_YEAR_TO_MONTHLY)


def _round_fen(amount: Decimal) -> int:
    """Round an amount of fen to a whole fen, halves up, as Chinese banks round."""
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def _divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers, without leaving integer arithmetic."""
    return (2 * numerator + denominator) // (2 * denominator)


def _choice(enum: type[_Choice], value: object, *, field: str, message: str) -> _Choice:
    try:
        return enum(value)
    except ValueError:
        raise MortgageInputError(message, field) from None


def _whole_number(value: object, *, field: str) -> int:
    # A float or bool here is a programming error, not a buyer's typo: say so loudly instead of guessing.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an int, not {type(value).__name__}")
    return value


def _decimal(value: object, *, field: str) -> Decimal:
    # Floats are refused rather than converted: Decimal(4.9) is 4.9000000000000003552713678800500929355621337890625.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{field} must be a Decimal or int, not {type(value).__name__}")
    return Decimal(value)


def _rate(value: object, *, field: str, name: str) -> Decimal:
    rate = _decimal(value, field=field)
    if not (rate.is_finite() and 0 <= rate <= MAX_ANNUAL_RATE):
        raise MortgageInputError(f"{name}须在0%到{MAX_ANNUAL_RATE}%之间", field)
    return rate
