"""Reading numbers that arrive as text in query strings and forms, without ever raising."""

import re

MAX_ID = 2**63 - 1  # the largest primary key PostgreSQL's bigint and SQLite's integer hold

_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also accepts "²" and "٣", which int() refuses


def positive_int(value, *, maximum: int = MAX_ID) -> int | None:
    """The whole number in `value` if it is one between 1 and `maximum`, else None."""
    text = str(value or "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= maximum else None
