"""Reading a legacy .xls (BIFF8, as Excel 97–2003 and WPS write it) within bounds.

xlrd reads the whole workbook stream at open and a whole sheet at a time, so what it would build is checked
first, from the records themselves: the shared-string table's declared size, each sheet's declared
dimensions, and the row and column of every cell holding a value. Only then does xlrd open the file, on
demand (one sheet in memory at a time) and with ragged rows (no padding to the widest row). The format
itself caps a sheet at 65,536 rows and 256 columns, and the upload's size caps the cells.
"""

import io
import struct
from collections.abc import Iterator

from openpyxl.utils.cell import get_column_letter

from yunlou.core.spreadsheets.bounds import (
    Budget,
    Limits,
    check_dimension,
    too_many_columns,
    too_many_rows,
    too_many_texts,
    unreadable,
)
from yunlou.core.spreadsheets.reading import Sheet

BOF, BOUNDSHEET, SST, DIMENSIONS, MULRK = 0x0809, 0x0085, 0x00FC, 0x0200, 0x00BD
# Records holding one cell's value, each starting with its row and column (MULRK: several, to a last column).
# BLANK and MULBLANK only format a cell; xlrd skips them without formatting_info, so they cost nothing.
VALUE_RECORDS = frozenset({0x0203, 0x0204, 0x00FD, 0x027E, 0x0205, 0x0006, 0x0206, 0x0406, 0x00D6, MULRK})


def xls_sheets(content: bytes, *, limits: Limits, budget: Budget) -> Iterator[Sheet]:
    """The workbook's sheets; its records are checked and the workbook opened now, each sheet loaded when
    reached (and let go after)."""
    import xlrd

    check_records(content, limits=limits, budget=budget)
    try:
        book = xlrd.open_workbook(file_contents=content, on_demand=True, ragged_rows=True, logfile=io.StringIO())
    # xlrd parses a binary format written by anything; whatever it raises on a damaged file, the file is
    # unreadable, and that is all the user needs to know.
    except Exception as exc:  # noqa: BLE001
        raise unreadable() from exc
    budget.check()
    if book.nsheets == 0:
        raise unreadable()
    return _sheets(book, limits, budget)


def _sheets(book, limits: Limits, budget: Budget) -> Iterator[Sheet]:
    try:
        for index in range(min(book.nsheets, limits.sheets)):
            try:
                sheet = book.sheet_by_index(index)
                rows = list(_rows(sheet, book.datemode, limits))
            except Exception as exc:  # noqa: BLE001 - as above
                raise unreadable() from exc
            budget.check()
            yield Sheet(sheet.name, iter(rows))
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _rows(sheet, datemode: int, limits: Limits) -> Iterator[tuple[int, tuple]]:
    for row in range(sheet.nrows):
        width = min(sheet.row_len(row), limits.read_columns)
        if width:
            yield row + 1, tuple(_value(cell, datemode) for cell in sheet.row_slice(row, 0, width))


def _value(cell, datemode: int):
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value
    return cell.value


def check_records(content: bytes, *, limits: Limits, budget: Budget) -> None:
    """Refuse the workbook by what its records declare and where its values sit, before xlrd builds any."""
    from xlrd import compdoc

    try:
        document = compdoc.CompDoc(content, logfile=io.StringIO())
        memory, base, size = document.locate_named_stream("Workbook")
        if not memory:
            memory, base, size = document.locate_named_stream("Book")
    except Exception as exc:  # noqa: BLE001 - a damaged compound document, whatever xlrd raised
        raise unreadable() from exc
    if not memory:
        raise unreadable()
    names: dict[int, str] = {}
    sheet = ""
    position, end, count = base, base + size, 0
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", memory, position)
        data = position + 4
        if data + length > end:
            break  # a truncated record: xlrd refuses the file
        count += 1
        if count % 20_000 == 0:
            budget.check()
        if kind == BOF:
            sheet = names.get(position - base, "")
        elif kind == BOUNDSHEET and length >= 8:
            names[struct.unpack_from("<I", memory, data)[0]] = _sheet_name(memory, data + 6, data + length)
        elif kind == SST and length >= 8:
            unique = struct.unpack_from("<I", memory, data + 4)[0]
            if unique > limits.shared_strings:
                raise too_many_texts(unique, limits)
        elif kind == DIMENSIONS and length >= 10:
            rows, columns = (struct.unpack_from("<4xI2xH", memory, data) if length >= 14
                             else struct.unpack_from("<2xH2xH", memory, data))  # one past the last used
            check_dimension(sheet, rows=rows, columns=columns, limits=limits,
                            reference=f"A1:{get_column_letter(min(max(columns, 1), 16_384))}{max(rows, 1)}")
        elif kind in VALUE_RECORDS and length >= 4:
            row, column = struct.unpack_from("<HH", memory, data)
            if kind == MULRK and length >= 6:
                column = struct.unpack_from("<H", memory, data + length - 2)[0]
            if row + 1 > limits.rows:
                raise too_many_rows(sheet, row + 1, limits)
            if column + 1 > limits.max_columns:
                raise too_many_columns(sheet, column + 1, limits, row=row + 1)
        position = data + length


def _sheet_name(memory, start: int, end: int) -> str:
    try:
        length, flags = memory[start], memory[start + 1]
        if flags & 0x01:
            return bytes(memory[start + 2: min(end, start + 2 + 2 * length)]).decode("utf-16-le", "replace")
        return bytes(memory[start + 2: min(end, start + 2 + length)]).decode("latin-1")
    except (IndexError, ValueError):
        return ""

