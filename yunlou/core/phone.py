"""Mainland China mobile numbers: normalising, validating and masking."""

import re

from django.utils.translation import gettext as _

from yunlou.core.crypto import blind_index
from yunlou.core.errors import ValidationFailed

# [0-9], not \d: \d also matches full-width and other scripts' digits, which would give one real number
# several spellings (and so several customers and SMS allowances).
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Return the 11-digit number, accepting spaces, dashes and a +86/0086 prefix; raise otherwise."""
    value = _SEPARATORS.sub("", str(raw or ""))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if not _MOBILE.match(value):
        raise ValidationFailed(_("Enter an 11-digit mainland mobile number."), field=field)
    return value


def is_valid_phone(raw: str) -> bool:
    try:
        normalize_phone(raw)
    except ValidationFailed:
        return False
    return True


def mask_phone(phone: str, *, keep_tail: int = 4) -> str:
    """前三后四 (138****5678) by default; keep_tail=6 gives 前三后六 (138**345678)."""
    if not phone:
        return ""
    if len(phone) != 11:
        return "*" * len(phone)
    return phone[:3] + "*" * (8 - keep_tail) + phone[-keep_tail:]


def masked_key(form: str, digits: str) -> str:
    """The keyed hash of what a masked number shows: form "34" is 前三后四's 3+4 digits, "43" 前四后三's, "33"
    the first and last three (see brokers.phones for how reports are matched with them)."""
    return blind_index(digits, purpose=f"phone-{form}")


def masked_keys(phone: str) -> tuple[str, str]:
    """A full number's 前三后四 and 前四后三 keys, so that a masked report can find it."""
    if len(phone or "") != 11:
        return "", ""
    return masked_key("34", phone[:3] + phone[-4:]), masked_key("43", phone[:4] + phone[-3:])
