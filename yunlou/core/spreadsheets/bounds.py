"""What reading one upload may cost, and the one kind of refusal every limit gives."""

import time
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yunlou.core.errors import ImportRejected

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds for one import. The defaults suit an office spreadsheet of some ten thousand rows; each import
    passes its own where it needs less (or, with a reason, more)."""

    file_bytes: int = 5 * MB
    rows: int = 22_000  # the highest row number a value may sit in
    read_columns: int = 40  # values handed on per row; cells further right are skipped unread
    max_columns: int = 256  # a sheet declaring (or an .xls using) columns beyond IV is refused
    sheets: int = 20  # sheets looked at; later ones are ignored
    members: int = 500  # parts in an .xlsx (Excel writes a dozen; a few hundred with many images)
    unpacked_bytes: int = 80 * MB  # all parts together, as declared and as inflated
    part_bytes: int = 50 * MB  # any one part
    ratio: int = 100  # packed at most 100:1 (office XML packs 5–15:1); Apache POI's zip-bomb rule
    ratio_grace_bytes: int = MB  # parts smaller than this may pack as tightly as they like
    shared_strings: int = 200_000  # distinct strings in a workbook's table
    shared_strings_bytes: int = 20 * MB  # the unpacked table
    cell_chars: int = 32_767  # Excel's own limit for one cell
    token_bytes: int = MB  # one XML tag, comment or declaration
    line_chars: int = 65_536  # one line of a CSV
    seconds: float = 5.0  # the whole read, from opening the file to its last row


DEFAULT_LIMITS = Limits()


def rejected(message: str, *, row: int | None = None) -> ImportRejected:
    """The whole file refused, in the shape every import reports problems in."""
    return ImportRejected(message, field="file", details=[{"row": row, "column": None, "message": message}])


def unreadable(*, row: int | None = None) -> ImportRejected:
    return rejected(_("The file cannot be read: upload an Excel workbook (.xlsx or .xls) or a CSV file."), row=row)


def megabytes(size: int) -> str:
    value = size / MB
    return f"{value:,.0f}" if value >= 10 or value.is_integer() else f"{value:,.1f}"


class Budget:
    """The time one read may take. Checked between chunks and rows, so a file is refused soon after its time
    runs out, whatever in it was slow."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise rejected(_("The file took more than %(seconds)s seconds to read and was refused. Save it again "
                             "from Excel with only the table in it, or split it.") % {"seconds": f"{self.seconds:g}"})


def _where(sheet: str) -> str:
    return _("Sheet “%(sheet)s”") % {"sheet": sheet} if sheet else _("The file")


def too_many_rows(sheet: str, row: int, limits: Limits) -> ImportRejected:
    return rejected(_("%(where)s has a value in row %(row)s; at most %(max)s rows can be read.") % {
        "where": _where(sheet), "row": f"{row:,}", "max": f"{limits.rows:,}"}, row=row)


def too_many_columns(sheet: str, column: int, limits: Limits, *, row: int | None = None) -> ImportRejected:
    return rejected(_("%(where)s has a value in column %(column)s; at most %(max)s columns can be read.") % {
        "where": _where(sheet), "column": f"{column:,}", "max": f"{limits.max_columns:,}"}, row=row)


def too_many_texts(count: int, limits: Limits) -> ImportRejected:
    return rejected(_("The workbook holds %(count)s distinct texts; at most %(max)s can be read.") % {
        "count": f"{count:,}", "max": f"{limits.shared_strings:,}"})


def check_dimension(sheet: str, *, rows: int, columns: int, reference: str, limits: Limits) -> None:
    """Refuse a sheet by the size it declares, before any of its rows is read."""
    if rows > limits.rows:
        raise rejected(_("%(where)s declares %(rows)s rows (%(range)s); at most %(max)s rows can be read. Delete "
                         "the empty rows below the table and save the file again.") % {
            "where": _where(sheet), "rows": f"{rows:,}", "range": reference[:40], "max": f"{limits.rows:,}"})
    if columns > limits.max_columns:
        raise rejected(_("%(where)s declares %(columns)s columns (%(range)s); at most %(max)s columns can be "
                         "read. Delete the empty columns right of the table and save the file again.") % {
            "where": _where(sheet), "columns": f"{columns:,}", "range": reference[:40],
            "max": f"{limits.max_columns:,}"})
