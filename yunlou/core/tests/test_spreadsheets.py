"""The spreadsheet guard every import reads through, and the writers every export writes through.

Memory is measured with tracemalloc in this process: it counts what Python, expat, zlib and xlrd allocate while
the file is read (all of them allocate through Python's allocators), from a zero taken just before, so the
figure is the read's own. The process's peak RSS could not say that: it already holds whatever the test
session needed before.
"""

import csv
import datetime
import io
import re
import time
import tracemalloc
import zipfile
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from yunlou.core.errors import ImportRejected
from yunlou.core.spreadsheets import ExportWorkbook, Limits, export_csv_writer, open_spreadsheet, read_upload, safe_cell
from yunlou.core.tests import hostile_files as hostile

MB = 1024 * 1024


@contextmanager
def measured():
    """Wall time and the peak of memory allocated inside the block."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    taken = SimpleNamespace()
    start = time.perf_counter()
    try:
        yield taken
    finally:
        taken.seconds = time.perf_counter() - start
        taken.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def read_all(content: bytes, name: str = "a.xlsx", **limits) -> list[tuple[str, list]]:
    spreadsheet = open_spreadsheet(content, file_name=name, limits=Limits(**limits))
    return [(sheet.name, list(sheet.rows)) for sheet in spreadsheet.sheets]


def refusal(content: bytes, name: str = "a.xlsx", **limits) -> tuple[str, SimpleNamespace]:
    """The message a file is refused with, the time that took, and (in a second run, since tracing slows
    Python down several times) the memory."""
    start = time.perf_counter()
    with pytest.raises(ImportRejected) as error:
        read_all(content, name, **limits)
    seconds = time.perf_counter() - start
    assert error.value.field == "file" and error.value.details[0]["message"] == error.value.message
    with measured() as taken, pytest.raises(ImportRejected):
        read_all(content, name, **limits)
    taken.seconds = seconds
    return error.value.message, taken


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- ordinary files read as they always were ---

def test_an_ordinary_workbook_reads_as_openpyxl_reads_it():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "一房一价"
    sheet.append(["楼栋", "房号", "面积", "总价", "认购日期", "已售", "备注"])
    sheet.append(["3#楼", "3-0101", 89.5, 2_860_000, datetime.datetime(2026, 11, 3, 10, 30), True, None])
    sheet.append(["3#楼", "3-0102", -1, 1e20, datetime.date(2026, 1, 1), False, "南北通透\n边套"])
    sheet.append([None] * 7)
    sheet["C7"] = 1.25
    sheet["H9"] = "最右一列"
    cover = workbook.create_sheet("说明")
    cover.append(["本表价格以网签为准"])
    content = saved(workbook)

    reference = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    expected = []
    for worksheet in reference.worksheets:
        rows = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            values = list(values)
            while values and values[-1] is None:
                values.pop()
            if values:
                rows.append((number, tuple(values)))
        expected.append((worksheet.title, rows))
    assert read_all(content) == expected
    assert expected[0][1][1][1][4] == datetime.datetime(2026, 11, 3, 10, 30)  # dates are dates


def test_shared_strings_read_as_excel_shows_them_with_rich_runs_joined_and_phonetic_guides_left_out():
    strings = (f'<sst xmlns="{hostile.MAIN}" count="3" uniqueCount="3">'
               "<si><t>楼栋</t></si>"
               "<si><r><rPr><b/></rPr><t>云栖</t></r><r><t xml:space=\"preserve\">府 </t></r>"
               "<rPh sb=\"0\" eb=\"2\"><t>ユンチー</t></rPh></si>"
               "<si><t>一层_x000D_二层</t></si></sst>").encode()
    sheet = hostile.worksheet('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                              '<c r="C1" t="s"><v>2</v></c></row>', dimension="A1:C1")
    assert read_all(hostile.workbook(sheet=sheet, shared_strings=strings)) == [
        ("一房一价", [(1, ("楼栋", "云栖府 ", "一层\r二层"))])]


def test_chinese_built_in_date_formats_and_custom_ones_read_as_dates():
    styles = (f'<styleSheet xmlns="{hostile.MAIN}"><numFmts count="1"><numFmt numFmtId="176" '
              'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><cellXfs count="4">'
              '<xf numFmtId="0"/><xf numFmtId="31"/><xf numFmtId="176"/><xf numFmtId="46"/></cellXfs>'
              "</styleSheet>").encode()
    sheet = hostile.worksheet('<row r="1"><c r="A1"><v>46000</v></c><c r="B1" s="1"><v>46000</v></c>'
                              '<c r="C1" s="2"><v>46000.5</v></c><c r="D1" s="3"><v>1.5</v></c></row>')
    [(_name, [(_row, values)])] = read_all(hostile.workbook(sheet=sheet, styles=styles))
    assert values == (46000, datetime.datetime(2025, 12, 9), datetime.datetime(2025, 12, 9, 12),
                      datetime.timedelta(days=1, hours=12))


def test_a_legacy_xls_and_a_gbk_csv_read_as_rows_numbered_as_in_the_file():
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("5#楼")
    sheet.write(0, 0, "房号")
    sheet.write(3, 0, "5-0101")
    sheet.write(3, 1, 2_860_000)
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_all(buffer.getvalue(), "a.xls") == [("5#楼", [(1, ("房号",)), (4, ("5-0101", 2_860_000.0))])]
    assert read_all("房号,总价\n\n5-0101,286万\n".encode("gbk"), "a.csv") == [
        ("", [(1, ("房号", "总价")), (3, ("5-0101", "286万"))])]


# --- rows and columns ---

def test_a_gap_in_the_row_numbers_costs_nothing_however_long():
    far = '<row r="21999"><c r="A21999"><v>7</v></c></row>'
    with measured() as taken:
        rows = read_all(hostile.workbook(sheet=hostile.worksheet(hostile.HEADER_ROW + far, dimension=None)))
    assert [number for number, _values in rows[0][1]] == [1, 21_999]
    assert taken.seconds < 0.5


@pytest.mark.parametrize("dimension", [None, "A1:E2"], ids=["no dimension", "a dimension that lies"])
def test_a_value_past_the_row_limit_refuses_the_file_without_walking_the_gap(dimension):
    message, taken = refusal(hostile.billion_row_gap(dimension))
    assert "1,000,000,000" in message and "22,000" in message
    assert taken.seconds < 0.5 and taken.peak < 10 * MB


def test_a_sheet_declaring_more_rows_or_columns_than_allowed_is_refused_before_its_rows_are_read():
    message, taken = refusal(hostile.billion_row_gap())
    assert "1,000,000,000" in message and "A1:E1000000000" in message
    wide = hostile.workbook(sheet=hostile.worksheet(hostile.HEADER_ROW, dimension="A1:XFD5"))
    message, _taken = refusal(wide)
    assert "16,384" in message and "A1:XFD5" in message


def test_cells_right_of_the_columns_read_are_skipped_unread():
    cells = "".join(f'<c r="{hostile.column_letter(index)}1"><v>{index}</v></c>' for index in range(1, 16_385))
    with measured() as taken:
        rows = read_all(hostile.workbook(sheet=hostile.worksheet(f'<row r="1">{cells}</row>', dimension=None)),
                        read_columns=3)
    assert rows == [("一房一价", [(1, (1, 2, 3))])]
    assert taken.peak < 10 * MB


# --- shared strings ---

def test_one_huge_shared_string_is_refused_as_it_streams_even_when_packed_plainly():
    content = hostile.huge_shared_string(4, compression=zipfile.ZIP_STORED)  # no ratio to give it away
    message, taken = refusal(content)
    assert "32,767" in message
    assert taken.seconds < 1 and taken.peak < 10 * MB


def test_too_many_shared_strings_are_refused_by_their_declared_count_and_by_their_real_one():
    message, taken = refusal(hostile.many_shared_strings())
    assert "1,000,000" in message and "200,000" in message and taken.seconds < 0.5
    message, taken = refusal(hostile.many_shared_strings(250_000, declared=10))
    assert "200,001" in message
    assert taken.seconds < 2 and taken.peak < 50 * MB


def test_a_shared_string_table_larger_than_allowed_is_refused_unread():
    message, _taken = refusal(hostile.huge_shared_string(3, compression=zipfile.ZIP_STORED), shared_strings_bytes=MB)
    assert "3" in message and "1" in message


# --- the zip ---

def test_a_zip_bomb_is_refused_by_its_declared_sizes_before_any_part_is_inflated(monkeypatch):
    bomb = hostile.zip_bomb()
    opened = []
    original = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or original(
        self, name, *a, **k))
    message, taken = refusal(bomb)
    assert "xl/styles.xml" in message and "294" in message
    assert opened == []
    assert taken.seconds < 0.5 and taken.peak < 10 * MB


def test_a_zip_whose_directory_understates_a_part_is_read_only_to_the_size_it_states():
    message, taken = refusal(hostile.lying_zip())  # 200 MB behind a directory entry saying 2 KB
    assert ".xlsx" in message  # unreadable: the part ends where the directory says and fails its checksum
    assert taken.seconds < 0.5 and taken.peak < 10 * MB


def test_parts_past_the_size_limits_are_refused_by_what_the_directory_declares():
    plain = hostile.huge_shared_string(3, compression=zipfile.ZIP_STORED)
    message, _taken = refusal(plain, part_bytes=2 * MB)
    assert "xl/sharedStrings.xml" in message
    message, _taken = refusal(plain, unpacked_bytes=2 * MB)
    assert "3" in message


def test_a_zip_of_too_many_parts_is_refused_before_zipfile_lists_them(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(600):
            archive.writestr(f"xl/media/image{number}.png", b"")
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("the directory was listed"))
    message, _taken = refusal(buffer.getvalue())
    assert "600" in message and "500" in message


# --- XML ---

def test_a_document_type_declaration_is_refused_so_entities_never_expand():
    laughs = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
              f'<worksheet xmlns="{hostile.MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t>'
              "</is></c></row></sheetData></worksheet>").encode()
    message, taken = refusal(hostile.workbook(sheet=laughs))
    assert ".xlsx" in message and taken.seconds < 0.5


def test_an_xml_tag_longer_than_a_megabyte_is_refused_before_it_is_buffered_whole():
    sheet = (f'<worksheet xmlns="{hostile.MAIN}"><sheetData><row r="1"><c r="A1" x="'.encode()
             + b"a" * (4 * MB) + b'"/></row></sheetData></worksheet>')
    message, taken = refusal(hostile.workbook(sheet=sheet, compression=zipfile.ZIP_STORED))
    assert ".xlsx" in message and taken.peak < 20 * MB


# --- time ---

def test_a_read_still_going_when_its_time_runs_out_is_refused():
    workbook = Workbook()
    for number in range(20_000):
        workbook.active.append([number, f"3-{number:04d}", 89.5, 2_860_000 + number])
    message, taken = refusal(saved(workbook), seconds=0.1)
    assert "0.1" in message
    assert taken.seconds < 1


# --- .xls: refused by its records before xlrd builds anything ---

def _xls(cells: dict[tuple[int, int], object]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("一房一价")
    for (row, column), value in cells.items():
        sheet.write(row, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _understate_dimensions(content: bytes) -> bytes:
    """The .xls with its sheet's DIMENSIONS record claiming one row and one column."""
    position = content.index(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes (BIFF8)
    return content[: position + 4] + b"\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00" + content[position + 16:]


@pytest.fixture
def xlrd_must_not_open(monkeypatch):
    import xlrd

    monkeypatch.setattr(xlrd, "open_workbook", lambda *a, **k: pytest.fail("xlrd opened a file it should not"))


def test_an_xls_past_the_limits_is_refused_from_its_records_before_xlrd_opens_it(xlrd_must_not_open):
    far = _xls({(0, 0): "房号", (9, 0): "5-0101"})
    message, _taken = refusal(far, "a.xls", rows=5)
    assert "10" in message and "5" in message  # declared by its dimensions
    message, _taken = refusal(_understate_dimensions(far), "a.xls", rows=5)
    assert "10" in message and "一房一价" in message  # the value itself
    wide = _understate_dimensions(_xls({(0, 0): "房号", (0, 200): "x"}))
    message, _taken = refusal(wide, "a.xls", max_columns=100)
    assert "201" in message
    texts = _xls({(row, 0): f"房{row}" for row in range(5)})
    message, _taken = refusal(texts, "a.xls", shared_strings=3)
    assert "5" in message and "3" in message


# --- CSV ---

def test_a_csv_line_longer_than_allowed_is_refused_naming_the_line():
    content = b"a,b\n" + b"x" * 70_000 + b"\n"
    message, taken = refusal(content, "a.csv")
    assert "2" in message and "65,536" in message and taken.seconds < 0.5


def test_a_csv_with_values_past_the_row_limit_is_refused():
    content = "".join(f"{number},x\n" for number in range(1, 31)).encode()
    message, _taken = refusal(content, "a.csv", rows=20)
    assert "21" in message and "20" in message


def test_a_csv_field_running_over_many_lines_is_refused():
    content = b'a,"' + b"x\n" * 80_000 + b'"\n'
    message, _taken = refusal(content, "a.csv")
    assert ".xlsx" in message


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read():
    class Upload:
        size = 6 * MB

        def read(self, *_args):
            pytest.fail("read")

    with pytest.raises(ImportRejected) as error:
        read_upload(Upload())
    assert "5" in error.value.message


# --- exports ---

HOSTILE_TEXT = ["=HYPERLINK(\"http://evil.example\",\"点击\")", "+86 138", "-5", "@SUM(A1)", "\t=1+1", "\r=1",
                "＝1+1", "'=already quoted", "''-twice", "'plain apostrophe", "3#楼", "", "- 边套", "_x000D_ as text"]


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_text_that_would_start_a_formula_is_escaped_and_other_text_is_not(value):
    escaped = safe_cell(value)
    starts_formula = value.startswith(("=", "+", "-", "@", "\t", "\r", "＝"))
    quoted_formula = value.startswith("'") and value.lstrip("'").startswith(("=", "+", "-", "@"))
    assert escaped == ("'" + value if starts_formula or quoted_formula else value)


@pytest.mark.parametrize("value", [-5, -0.5, Decimal("-2860000.00"), 0, None, datetime.date(2026, 1, 1), True])
def test_numbers_negative_ones_included_and_other_values_stay_as_they_are(value):
    assert safe_cell(value) is value


def test_translated_text_is_written_as_text():
    assert safe_cell(gettext_lazy("Available")) in ("可售", "Available")


def test_an_exported_workbook_holds_text_where_a_formula_was_asked_for_and_reads_back_as_written():
    workbook = ExportWorkbook()
    sheet = workbook.sheet("客户")
    sheet.append(["=1+1 云栖府"], bold=True, size=14)
    sheet.append([*HOSTILE_TEXT, -5, Decimal("-1.5"), "bell\x07 and nul\x00"])
    content = workbook.content()

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    cells = list(load_workbook(io.BytesIO(content)).active.iter_rows())
    assert cells[0][0].font.bold and cells[0][0].value == "'=1+1 云栖府"
    assert all(cell.data_type != "f" for row in cells for cell in row)
    assert [cell.data_type for cell in cells[1][-3:]] == ["n", "n", "s"]

    [(_name, rows)] = read_all(content)
    assert rows[0] == (1, ("=1+1 云栖府",))
    assert rows[1][1] == (*HOSTILE_TEXT[:11], None, *HOSTILE_TEXT[12:], -5, -1.5, "bell and nul")


def test_an_exported_csv_is_escaped_the_same_way_and_reads_back_as_written():
    buffer = io.StringIO()
    export_csv_writer(buffer).writerows([HOSTILE_TEXT, [-5, "-5"]])
    lines = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert lines[0][0].startswith("'=") and lines[1] == ["-5", "'-5"]
    [(_name, rows)] = read_all(buffer.getvalue().encode(), "a.csv")
    assert rows[0][1] == tuple(HOSTILE_TEXT) and rows[1][1] == ("-5", "-5")


def test_every_export_in_the_code_base_writes_through_the_formula_safe_writers():
    """A new export that builds its own Workbook or csv.writer would skip the escaping: there is none."""
    root = Path(__file__).resolve().parents[2]
    guard = root / "core" / "spreadsheets"
    writers = re.compile(r"\bWorkbook\(|csv\.writer\(|csv\.DictWriter\(|\bxlwt\b|xlsxwriter")
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if "tests" not in path.parts and guard not in path.parents and writers.search(path.read_text("utf-8"))
    ]
    assert offenders == []
