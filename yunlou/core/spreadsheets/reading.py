"""Opening an upload: its bytes within the size limit, its format, and its sheets as numbered rows."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yunlou.core.spreadsheets.bounds import (
    DEFAULT_LIMITS,
    Budget,
    Limits,
    megabytes,
    rejected,
    too_many_rows,
    unreadable,
)
from yunlou.core.spreadsheets.exports import unescape_cell

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the OLE2 compound file that holds a BIFF8 workbook
WORKBOOK_EXTENSIONS = {"xlsx", "xlsm", "xls"}

Row = tuple[int, tuple]  # (row number from 1, as the file numbers it; values, left to right)


@dataclass
class Sheet:
    """One sheet: its name and its rows that hold a value, read as they are iterated."""

    name: str
    rows: Iterator[Row]


@dataclass
class Spreadsheet:
    format: str  # "xlsx", "xls" or "csv"
    sheets: Iterator[Sheet]


def read_upload(file, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The upload's bytes, refusing one over the size limit without reading it all."""
    too_large = _("The file is larger than %(size)s MB.") % {"size": megabytes(limits.file_bytes)}
    size = getattr(file, "size", None)
    if size is not None and size > limits.file_bytes:
        raise rejected(too_large)
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(limits.file_bytes + 1)
    if len(content) > limits.file_bytes:
        raise rejected(too_large)
    if not content:
        raise rejected(_("The file is empty."))
    return content


def open_spreadsheet(content: bytes, *, file_name: str = "", limits: Limits = DEFAULT_LIMITS) -> Spreadsheet:
    """The file's sheets, its structure checked now (an .xlsx's zip directory, workbook, styles and shared
    strings), its rows read as they are iterated; every bound in `limits` holds until the last row."""
    budget = Budget(limits.seconds)
    if len(content) > limits.file_bytes:
        raise rejected(_("The file is larger than %(size)s MB.") % {"size": megabytes(limits.file_bytes)})
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if content.startswith(XLSX_MAGIC):
        from yunlou.core.spreadsheets.xlsx import xlsx_sheets

        return Spreadsheet("xlsx", _bounded(xlsx_sheets(content, limits=limits, budget=budget), limits, budget))
    if content.startswith(XLS_MAGIC):
        from yunlou.core.spreadsheets.xls import xls_sheets

        return Spreadsheet("xls", _bounded(xls_sheets(content, limits=limits, budget=budget), limits, budget))
    if extension in WORKBOOK_EXTENSIONS or b"\x00" in content[:4096]:
        raise unreadable()  # a workbook by name that is not one, or some other binary file
    return Spreadsheet("csv", _bounded(iter([Sheet("", _csv_rows(content, limits, budget))]), limits, budget))


def _bounded(sheets: Iterable[Sheet], limits: Limits, budget: Budget) -> Iterator[Sheet]:
    """At most `limits.sheets` sheets, each handing on only rows that hold a value, none past the row limit,
    text with the export's apostrophe taken off."""
    for number, sheet in enumerate(sheets):
        if number >= limits.sheets:
            return
        yield Sheet(sheet.name, _rows_within(sheet, limits, budget))


def _rows_within(sheet: Sheet, limits: Limits, budget: Budget) -> Iterator[Row]:
    for count, (number, values) in enumerate(sheet.rows):
        if count % 1000 == 999:
            budget.check()
        values = tuple(unescape_cell(value) for value in values[: limits.read_columns])
        if all(value is None or value == "" for value in values):
            continue
        if number > limits.rows:
            raise too_many_rows(sheet.name, number, limits)
        yield number, values


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 reads GBK and GB2312 too
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise unreadable()


def _csv_rows(content: bytes, limits: Limits, budget: Budget) -> Iterator[Row]:
    decoded = _decode(content)
    long_line = re.search(rf"[^\r\n]{{{limits.line_chars + 1}}}", decoded)
    if long_line is not None:
        line = decoded.count("\n", 0, long_line.start()) + 1
        raise rejected(_("Line %(line)s of the file is longer than %(max)s characters.") % {
            "line": f"{line:,}", "max": f"{limits.line_chars:,}"}, row=line)
    sample = decoded[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(decoded, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, values in enumerate(reader, start=1):  # noqa: B007 - the number names the failing line below
            yield number, tuple(values[: limits.read_columns])
    except csv.Error as exc:
        raise unreadable(row=number + 1) from exc
