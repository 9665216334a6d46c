"""Spreadsheets in and out: uploads read within bounds, exports whose cells never start a formula.

Reading. An uploaded .xlsx, .xls or .csv is hostile until read. `open_spreadsheet` refuses, with one clear
`ImportRejected` (a 400 naming the problem), any file that would cost more than a quick read: a zip whose
directory declares too many parts, too large a part or a part packed like a zip bomb (refused from the
declared sizes before anything is inflated; reading then stops at the declared size, so a directory that
lies does not help); a sheet whose declared dimension or whose rows go past the row or column limit; too
many shared strings, too large a table of them, or one cell longer than Excel allows; a DTD or an XML token
of more than a megabyte; and anything still being read when the time budget runs out. Workbook parts are
streamed through expat a chunk at a time, rows are handed on as they are read, and a gap of a billion empty
rows costs nothing because rows are numbered by what the file says, never counted through. Everything here
runs before any transaction, so a slow file cannot hold a database lock.

Writing. Text that starts with = + - @ (or a tab or carriage return, per OWASP's CSV-injection advice) is
written with a leading apostrophe, as text, in every .xlsx and .csv export: `safe_cell` for one value,
`ExportWorkbook` and `export_csv_writer` for whole files. Imports read through `open_spreadsheet` take the
apostrophe off again (`unescape_cell`), so an export uploaded back is unchanged.
"""

from yunlou.core.spreadsheets.bounds import Limits
from yunlou.core.spreadsheets.exports import ExportWorkbook, export_csv_writer, safe_cell, unescape_cell
from yunlou.core.spreadsheets.reading import Sheet, Spreadsheet, open_spreadsheet, read_upload

__all__ = [
    "ExportWorkbook",
    "Limits",
    "Sheet",
    "Spreadsheet",
    "export_csv_writer",
    "open_spreadsheet",
    "read_upload",
    "safe_cell",
    "unescape_cell",
]
