"""One-time SMS codes that prove a buyer holds a phone number.

Codes live in the cache (Redis in production) for five minutes, are stored only as an HMAC, are used
once, and allow five wrong guesses. Requests are limited per phone (one a minute, ten a day) and per
client IP (twenty an hour), the usual guard against SMS bombing.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from yunlou.accounts.sms import sms_backend
from yunlou.core import ratelimit
from yunlou.core.crypto import blind_index
from yunlou.core.errors import RateLimited, ValidationFailed
from yunlou.core.phone import normalize_phone

CODE_TTL_SECONDS = 300
RESEND_AFTER_SECONDS = 60
MAX_ATTEMPTS = 5
PER_PHONE_PER_DAY = 10
PER_IP_PER_HOUR = 20


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def _keys(phone: str, purpose: str) -> tuple[str, str]:
    index = blind_index(phone)
    return f"sms:code:{purpose}:{index}", f"sms:attempts:{purpose}:{index}"


def phone_code_request(*, phone: str, purpose: str, ip: str | None) -> str:
    """Send a fresh code to `phone`; returns it (the caller shows it only in DEBUG demos)."""
    phone = normalize_phone(phone)
    index = blind_index(phone)
    # The caller's own limit first: a network already refused must not use up a victim number's allowance.
    if ip:
        ratelimit.hit(f"sms:ip-hour:{ip}", limit=PER_IP_PER_HOUR, window_seconds=3_600, field="phone",
                      message=_("Too many code requests from your network; please try again later."))
    if not cache.add(f"sms:cooldown:{index}", 1, timeout=RESEND_AFTER_SECONDS):
        raise RateLimited(_("A code was just sent; please wait a minute before asking again."), field="phone")
    ratelimit.hit(f"sms:phone-day:{index}", limit=PER_PHONE_PER_DAY, window_seconds=86_400, field="phone",
                  message=_("Too many codes for this number today; please try again tomorrow."))
    code = f"{secrets.randbelow(10**6):06d}"
    code_key, attempts_key = _keys(phone, purpose)
    cache.set(code_key, _digest(code), timeout=CODE_TTL_SECONDS)
    cache.delete(attempts_key)
    sms_backend().send_verification_code(phone=phone, code=code, ttl_minutes=CODE_TTL_SECONDS // 60)
    return code


def phone_code_verify(*, phone: str, purpose: str, code: str) -> None:
    """Accept the code once, or raise a ValidationFailed naming the field `code`."""
    phone = normalize_phone(phone)
    code = (code or "").strip()
    code_key, attempts_key = _keys(phone, purpose)
    expected = cache.get(code_key)
    if expected is None:
        raise ValidationFailed(_("The code has expired or was never sent; please request a new one."),
                               field="code", code="code_expired")
    if ratelimit.count(attempts_key, window_seconds=CODE_TTL_SECONDS) > MAX_ATTEMPTS:
        cache.delete(code_key)
        raise ValidationFailed(_("Too many wrong codes; please request a new one."), field="code",
                               code="code_attempts")
    if not (len(code) == 6 and code.isdigit() and hmac.compare_digest(_digest(code), expected)):
        raise ValidationFailed(_("The code is not correct."), field="code", code="code_wrong")
    cache.delete_many([code_key, attempts_key])
