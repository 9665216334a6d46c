"""What happened, and to which request: a request id on every request, structured log lines, optional Sentry.

Every request gets an id — the one our own proxy sent in X-Request-Id when it is well formed, else a new
one — returned in the X-Request-Id response header, shown on the 500 page and carried by every log line
written while the request runs, so that a user's "it broke at 10:02" leads to one traceback. Logs go to
stdout as one JSON object per line (python-json-logger), which is what container log collectors read.
Unhandled errors reach them through Django's `django.request` logger, with the traceback.
"""

import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-Id"
_INCOMING = re.compile(r"[A-Za-z0-9._-]{8,64}")
_request_id: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """First in the chain: every later layer, log line and error page knows the request's id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _INCOMING.fullmatch(incoming) else uuid.uuid4().hex
        token = _request_id.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (a dash outside requests: tasks, commands)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def sentry_init(dsn: str, *, environment: str = "production", release: str | None = None) -> None:
    """Send unhandled errors to Sentry when SENTRY_DSN is set. No personal data leaves: the SDK's own PII
    switch stays off, request bodies, cookies and query strings are dropped before sending, and frames go without
    their local variables (a request's repr carries its query string; any local may hold a phone number)."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    def scrub(event, _hint):
        request = event.get("request") or {}
        for key in ("data", "cookies", "query_string"):
            request.pop(key, None)
        request.get("headers", {}).pop("Cookie", None)
        event.setdefault("tags", {})["request_id"] = current_request_id()
        return event

    sentry_sdk.init(dsn=dsn, integrations=[DjangoIntegration()], send_default_pii=False, environment=environment,
                    release=release, before_send=scrub, traces_sample_rate=0.0, include_local_variables=False)
