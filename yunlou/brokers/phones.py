"""How a reported number is written, and the keyed hashes that find the same person however it was written.

A project reports customers by full number or masked (DESIGN, referral rules): 前三后四 `138****5678` or
前四后三 `1381****678`. A masked number is a claim on everyone it could be, so two numbers "may be the same
person" when the most specific form both can show is equal:

| one \\ other | full        | 前三后四 | 前四后三 |
|-------------|-------------|---------|---------|
| full        | full number | 3+4     | 4+3     |
| 前三后四     | 3+4         | 3+4     | 3+3     |
| 前四后三     | 4+3         | 3+3     | 4+3     |

Each form is kept as a blind index (HMAC under the field key), never in the clear: `key_full` only for a
full number, `key_34` / `key_43` for what the number shows in that form, and `key_33` (first three, last three)
for every form — the coarsest key, which every pair of possibly-equal numbers shares, so it is also what a
report locks on while it checks for conflicts.
"""

import re
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yunlou.core.crypto import blind_index
from yunlou.core.errors import ValidationFailed
from yunlou.core.phone import masked_key, masked_keys, normalize_phone


class NumberMode(models.TextChoices):
    FULL = "full", gettext_lazy("Full number")
    MASKED_34 = "m34", gettext_lazy("First three, last four (138****5678)")
    MASKED_43 = "m43", gettext_lazy("First four, last three (1381****678)")


_MASKED = {
    NumberMode.MASKED_34: re.compile(r"^(1[3-9][0-9])[*＊xX]{4}([0-9]{4})$"),
    NumberMode.MASKED_43: re.compile(r"^(1[3-9][0-9]{2})[*＊xX]{4}([0-9]{3})$"),
}


@dataclass(frozen=True)
class ReportedNumber:
    """A number as a broker gave it, in the project's form, with its keys."""

    mode: str
    shown: str  # what may be displayed to the reporting broker: the full number or the mask
    full: str  # the full number, or "" when reported masked
    key_full: str | None
    key_34: str | None
    key_43: str | None
    key_33: str

    @property
    def identity_key(self) -> str:
        """The key of the number in its own form: equal identity keys are the same claim."""
        return {NumberMode.FULL: self.key_full, NumberMode.MASKED_34: self.key_34,
                NumberMode.MASKED_43: self.key_43}[self.mode]


_key = masked_key


def key_34(full: str) -> str:
    return masked_keys(full)[0]


def key_43(full: str) -> str:
    return masked_keys(full)[1]


def key_33(first3: str, last3: str) -> str:
    return masked_key("33", first3 + last3)


def reported_number(raw: str, *, mode: str, field: str = "phone") -> ReportedNumber:
    """Read a number in the project's form. In a masked project a full number is accepted and masked at once:
    the project asked not to hold it."""
    text = re.sub(r"[\s\-]", "", str(raw or ""))
    if not re.search(r"[*＊xX]", text):
        full = normalize_phone(text, field=field)
        if mode == NumberMode.FULL:
            return ReportedNumber(mode=mode, shown=full, full=full, key_full=blind_index(full),
                                  key_34=key_34(full), key_43=key_43(full), key_33=key_33(full[:3], full[-3:]))
        text = full[:3] + "****" + full[-4:] if mode == NumberMode.MASKED_34 else full[:4] + "****" + full[-3:]
    elif mode == NumberMode.FULL:
        raise ValidationFailed(_("This project takes full numbers: enter all 11 digits."), field=field,
                               code="phone_full_required")
    match = _MASKED[NumberMode(mode)].fullmatch(text)
    if match is None:
        example = "138****5678" if mode == NumberMode.MASKED_34 else "1381****678"
        raise ValidationFailed(_("Enter the number as %(example)s.") % {"example": example}, field=field,
                               code="phone_mask")
    head, tail = match.groups()
    if mode == NumberMode.MASKED_34:
        return ReportedNumber(mode=mode, shown=f"{head}****{tail}", full="", key_full=None,
                              key_34=_key("34", head + tail), key_43=None, key_33=key_33(head, tail[-3:]))
    return ReportedNumber(mode=mode, shown=f"{head}****{tail}", full="", key_full=None, key_34=None,
                          key_43=_key("43", head + tail), key_33=key_33(head[:3], tail))


def full_number(phone: str) -> ReportedNumber:
    return reported_number(phone, mode=NumberMode.FULL)


def same_person_q(number: ReportedNumber, *, prefix: str = "") -> Q:
    """Rows (referrals, or anything with key_full/key_34/key_43/key_33 columns) that may be this number. Every
    such row shares the number's 3+3 key, so the (project, key_33) index finds them all first."""
    p = prefix
    return Q(**{f"{p}key_33": number.key_33}) & _same_form_q(number, p)


def _same_form_q(number: ReportedNumber, p: str) -> Q:
    if number.mode == NumberMode.FULL:
        return (Q(**{f"{p}key_full": number.key_full})
                | Q(**{f"{p}key_full__isnull": True, f"{p}key_34": number.key_34})
                | Q(**{f"{p}key_full__isnull": True, f"{p}key_43": number.key_43}))
    if number.mode == NumberMode.MASKED_34:
        return Q(**{f"{p}key_34": number.key_34}) | Q(**{f"{p}key_34__isnull": True, f"{p}key_33": number.key_33})
    return Q(**{f"{p}key_43": number.key_43}) | Q(**{f"{p}key_43__isnull": True, f"{p}key_33": number.key_33})


def customer_q(number: ReportedNumber) -> Q:
    """Customers (full numbers, with their 3+4 and 4+3 keys) that may be this number."""
    if number.mode == NumberMode.FULL:
        return Q(phone_hash=number.key_full)
    if number.mode == NumberMode.MASKED_34:
        return Q(phone_key_34=number.key_34)
    return Q(phone_key_43=number.key_43)


def matches(number: ReportedNumber, full: str) -> bool:
    """Whether a full number is one this reported number may be."""
    other = full_number(full)
    if number.mode == NumberMode.FULL:
        return number.key_full == other.key_full
    if number.mode == NumberMode.MASKED_34:
        return number.key_34 == other.key_34
    return number.key_43 == other.key_43


def referral_number(referral) -> ReportedNumber:
    """A stored report's number, as it was reported (its form and keys)."""
    return ReportedNumber(mode=referral.number_mode, shown=referral.phone_shown, full=referral.phone,
                          key_full=referral.key_full, key_34=referral.key_34, key_43=referral.key_43,
                          key_33=referral.key_33)
