"""Exports whose cells are data, never formulas (CSV/formula injection, OWASP).

A customer's name, a note or a project name comes from outside. Written as it is, "=HYPERLINK(...)" or
"+cmd|' /C calc'!A0" becomes a live formula when the file is opened in Excel or WPS. So every string that a
spreadsheet would read as a formula — starting with = + - @, a tab or a carriage return, or their full-width
forms — gets a leading apostrophe, in .xlsx (stored as text) and in .csv alike; numbers, negative ones
included, stay numbers. A string that already starts with apostrophes before such a character gets one more,
so that `unescape_cell` (which every import applies through `open_spreadsheet`) gives back exactly the text
that was exported. Characters that XML cannot hold (controls other than tab, newline and carriage return) are
left out instead of failing the whole export.
"""

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_ILLEGAL_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def _is_escaped_form(value: str) -> bool:
    """Apostrophes, then a character that starts a formula: what `safe_cell` writes (and must escape again)."""
    return value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """One value for an export cell: text that would start a formula is escaped; anything else is unchanged."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = _ILLEGAL_IN_XML.sub("", value)
    if value.startswith(FORMULA_STARTS) or _is_escaped_form(value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """The text `safe_cell` was given, from what it wrote."""
    if isinstance(value, str) and _is_escaped_form(value):
        return value[1:]
    return value


def _xml_text(value: Any) -> Any:
    """Text as Excel stores it: a carriage return as _x000D_ (XML would read it back as a line feed, and an
    escaped "\r=…" would no longer read back as written), and a literal _xHHHH_ guarded as _x005F_xHHHH_."""
    if isinstance(value, str) and ("\r" in value or "_x" in value):
        return _OOXML_ESCAPE.sub(r"_x005F_\1", value).replace("\r", "_x000D_")
    return value


class ExportSheet:
    """A write-only worksheet whose every cell passes through `safe_cell`."""

    def __init__(self, sheet) -> None:
        self._sheet = sheet

    def widths(self, widths: Iterable[float]) -> None:
        for index, width in enumerate(widths, start=1):
            self._sheet.column_dimensions[get_column_letter(index)].width = width

    def append(self, values: Iterable[Any], *, bold: bool = False, size: float | None = None) -> None:
        font = Font(bold=bold, size=size) if bold or size else None
        cells = []
        for value in values:
            cell = WriteOnlyCell(self._sheet, value=_xml_text(safe_cell(value)))
            if cell.data_type == "f":  # belt and braces: openpyxl makes any string starting with = a formula
                cell.data_type = "s"
            if font is not None:
                cell.font = font
            cells.append(cell)
        self._sheet.append(cells)


class ExportWorkbook:
    """A write-only .xlsx for exports: `sheet(title)` gives an `ExportSheet`, `content()` the file's bytes."""

    def __init__(self) -> None:
        self._workbook = Workbook(write_only=True)

    def sheet(self, title: str) -> ExportSheet:
        return ExportSheet(self._workbook.create_sheet(title=title[:31]))

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self._workbook.save(buffer)
        return buffer.getvalue()


class _SafeCsvWriter:
    def __init__(self, stream, **options) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, values: Iterable[Any]):
        return self._writer.writerow([safe_cell(value) for value in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def export_csv_writer(stream, **options) -> _SafeCsvWriter:
    """`csv.writer` for exports: every value passes through `safe_cell`."""
    return _SafeCsvWriter(stream, **options)
