"""The types every API operation takes its input through, and the one shape of every API error.

An operation's text parameters are `FreeText` or `Identifier` (`yunlou.core.text` explains the difference),
its ids `Id`, its pages `Page`; so nothing an operation reads can carry a control character to the database
or a number past what a table holds, and a wrong value is a 422 naming the parameter.
"""

import datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from yunlou.core.errors import UnsupportedMediaType
from yunlou.core.parsing import MAX_ID
from yunlou.core.text import first_control, strip_controls


def _free_text(value: str) -> str:
    return strip_controls(value).strip()


def _identifier(value: Any) -> Any:
    found = first_control(value) if isinstance(value, str) else None
    if found:
        raise PydanticCustomError("control_character", _("Remove the invisible character {char}: it cannot be "
                                                         "part of this value."), {"char": found})
    return value


# Free text is cleaned after its length and pattern are checked, on what was sent, as the document states them.
FREE_TEXT = AfterValidator(_free_text)
IDENTIFIER = BeforeValidator(_identifier)  # before the length and pattern checks: name the real fault

FreeText = Annotated[str, FREE_TEXT]
"""Names, questions, searches: control and bidirectional characters are removed, and surrounding spaces."""

Identifier = Annotated[str, IDENTIFIER]
"""Codes and phone numbers: a control or bidirectional character makes the value invalid (422)."""

Id = Annotated[int, Ge(1), Le(MAX_ID)]
"""A primary key: 1 to 2⁶³−1, what PostgreSQL's bigint and SQLite's integer hold."""


def _moment(value: datetime.datetime) -> datetime.datetime:
    if not 2000 <= value.year < 2100:  # as sent, before any zone arithmetic could overflow
        raise PydanticCustomError("out_of_range", _("Enter a time between 2000 and 2100."))
    return timezone.make_aware(value) if timezone.is_naive(value) else value


Moment = Annotated[datetime.datetime, AfterValidator(_moment)]
"""A time a sales office schedules: 2000–2100; without an offset it is the office's own (Asia/Shanghai), like
the forms' times (core.forms.MomentField)."""

MAX_PAGE = 10_000  # with 100 a page, a million rows in: past any list a client pages through
MAX_PAGE_SIZE = 100


class Page(PageNumberPagination):
    """Every paginated list: 20 items a page unless `page_size` asks for up to 100; pages 1 to 10 000."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, **kwargs):
        super().__init__(page_size=20, max_page_size=MAX_PAGE_SIZE, **kwargs)


class ErrorOut(Schema):
    """What every error of the API answers, whatever its status."""

    code: str = Field(description="for programs: invalid, not_found, unauthenticated, forbidden, "
                                  "method_not_allowed, unsupported_media_type, malformed_body, rate_limited, "
                                  "conflict, server_error, …")
    message: str = Field(description="for people, in the caller's language (Chinese unless chosen otherwise)")
    field: str | None = Field(None, description="the parameter or body field at fault, when there is one")
    details: list[dict[str, Any]] | None = Field(
        None, description="every problem when there are several: {field, message} or, for files, {row, column, "
                          "message}")


def require_json(request) -> None:
    """Anonymous POSTs must be JSON. A form-encoded or text/plain POST is a 'simple' request that any web
    page can make its visitors' browsers send without a CORS preflight (and these endpoints have no CSRF
    token); requiring application/json makes the browser ask first, and we do not allow other origins."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(_("Send the request body as application/json."), field="body")
