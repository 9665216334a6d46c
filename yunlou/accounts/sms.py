"""SMS adapter. Production plugs in a provider's client (e.g. Aliyun or Tencent Cloud SMS, which send a
template id plus parameters); locally the console backend writes the message to the log, and keeps the
last messages in memory so the demo page (DEBUG) and tests can read the code a phone would receive."""

import logging
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("yunlou.sms")


class SmsBackend(Protocol):
    def send_verification_code(self, *, phone: str, code: str, ttl_minutes: int) -> None: ...


@dataclass(frozen=True)
class SentMessage:
    phone: str
    text: str
    code: str
    sent_at: object


class ConsoleSmsBackend:
    outbox: deque[SentMessage] = deque(maxlen=200)

    def send_verification_code(self, *, phone: str, code: str, ttl_minutes: int) -> None:
        text = f"【云楼】您的验证码是{code}，{ttl_minutes}分钟内有效。如非本人操作，请忽略本短信。"
        self.outbox.append(SentMessage(phone=phone, text=text, code=code, sent_at=timezone.now()))
        logger.info("SMS to %s: %s", phone, text)

    @classmethod
    def last_code(cls, phone: str) -> str | None:
        return next((m.code for m in reversed(cls.outbox) if m.phone == phone), None)


@lru_cache(maxsize=1)
def _backend_class(path: str):
    return import_string(path)


def sms_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
