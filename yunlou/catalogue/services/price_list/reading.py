"""Opening an uploaded price list (.xlsx, legacy .xls, .csv in UTF-8 or GBK) and finding its table.

Everything here runs before any transaction and is bounded by `yunlou.core.spreadsheets` (the guard every
import uses): the file's size, what a workbook declares and unpacks to, its shared strings, the rows and
columns read, and the time the read takes. A file that cannot be read is refused as a whole, with one message.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yunlou.catalogue.services.price_list.cells import BUILDING_WORDS, text
from yunlou.core.errors import ImportRejected
from yunlou.core.spreadsheets import Limits, Sheet, open_spreadsheet, read_upload
from yunlou.core.spreadsheets.bounds import rejected

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 80 * 1024 * 1024  # an .xlsx is a zip: refuse one that unpacks into a flood
MAX_ROWS = 20_000  # price rows
MAX_SHEET_ROWS = MAX_ROWS + 2_000  # sheet rows, counting titles, blank lines and notes
MAX_COLUMNS = 40
MAX_SHEETS = 20
HEADER_SCAN_ROWS = 10  # the header is one of the first rows, under a title or two


def limits() -> Limits:
    """What reading one price list may cost (the core's defaults for the rest: zip ratio, shared strings,
    cell length, the five-second budget)."""
    return Limits(file_bytes=MAX_FILE_BYTES, unpacked_bytes=MAX_UNPACKED_BYTES, rows=MAX_SHEET_ROWS,
                  read_columns=MAX_COLUMNS, sheets=MAX_SHEETS)


# Column key: the label errors and the export use, and the headers accepted (normalised by `header_key`).
COLUMNS: dict[str, tuple[str, frozenset[str]]] = {
    "building": ("楼栋", frozenset({"楼栋", "楼号", "栋号", "幢号", "楼栋号", "楼幢", "楼幢号", "栋", "幢", "楼",
                                   "building", "buildingno"})),
    "entrance": ("单元", frozenset({"单元", "单元号", "entrance"})),
    "code": ("房号", frozenset({"房号", "房源", "房源编号", "房间号", "室号", "房屋编号", "房屋号", "unit", "unitcode",
                               "room", "roomno"})),
    "floor": ("楼层", frozenset({"楼层", "层", "所在楼层", "所在层", "层次", "floor"})),
    "floor_plan": ("户型", frozenset({"户型", "户型名称", "户型编号", "户型号", "floorplan", "plan"})),
    "layout": ("户型结构", frozenset({"户型结构", "房型", "居室", "户型格局", "格局", "layout"})),
    "area": ("建筑面积(㎡)", frozenset({"建筑面积", "预测建筑面积", "实测建筑面积", "预售面积", "面积", "area",
                                     "grossarea"})),
    "net_area": ("套内面积(㎡)", frozenset({"套内面积", "套内建筑面积", "预测套内面积", "实测套内面积", "套内",
                                         "netarea"})),
    "unit_price": ("单价(元/㎡)", frozenset({"单价", "建筑面积单价", "备案单价", "销售单价", "申报单价", "unitprice",
                                          "pricepersqm"})),
    "total_price": ("总价(元)", frozenset({"总价", "房屋总价", "备案总价", "销售总价", "申报总价", "总房款", "房款总价",
                                         "totalprice", "price"})),
    "orientation": ("朝向", frozenset({"朝向", "orientation"})),
    "note": ("备注", frozenset({"备注", "说明", "note", "notes", "remarks"})),
    "status": ("状态", frozenset({"状态", "销售状态", "status"})),  # written by the export, not read back
}
LABELS = {key: label for key, (label, _aliases) in COLUMNS.items()}
REQUIRED = ("code", "area", "total_price")
_UNIT_WORDS = re.compile(r"(元/m2|元/平方米|元/平米|万元|元|m2|平方米|平米|万)$")
# Rows that are not units: a totals line, or a note under the table (注：本表价格…).
_NOT_A_UNIT = re.compile(r"^(合计|小计|总计|共计|注|说明|备注|制表|审核)")


def header_keys(value: Any) -> tuple[str, ...]:
    """A header as lookup keys: 「总价（元）」, 「总价(元)」 and 「总价 元」 all give 总价; the key as written comes
    first, so that 单元 stays 单元 rather than losing its 元."""
    written = re.sub(r"\s", "", re.sub(r"[(\[【].*?[)\]】]", "", text(value)))
    plain = re.sub(r"[_\-:/·.]", "", written).lower()
    bare = re.sub(r"[_\-:/·.]", "", _UNIT_WORDS.sub("", written)).lower()
    return (plain, bare) if bare and bare != plain else (plain,)


def file_problem(message: str, *, row: int | None = None) -> ImportRejected:
    return rejected(message, row=row)


@dataclass
class Table:
    """The price table found in a sheet: which column holds what, and the data rows under the header."""

    format: str
    header_row: int
    columns: dict[str, int]
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (sheet row number, values)
    titles: list[str] = field(default_factory=list)  # text of the rows above the header
    totals_in_wan: bool = False
    sheet: str = ""  # the worksheet's name; "" for a CSV

    def cell_name(self, key: str, row: int) -> str:
        """Where a value sits: E7 in a workbook, column 5 of line 7 in a CSV."""
        index = self.columns.get(key)
        if index is None:
            return ""
        if self.format == "csv":
            return _("line %(row)s, field %(column)s") % {"row": row, "column": index + 1}
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(index + 1)}{row}"

    def title_buildings(self) -> list[str]:
        """Buildings the sheet's name and title rows may name (「XX府 5#楼 一房一价表」, a sheet called 5#楼);
        the planner keeps those that are buildings of the project."""
        found = []
        for title in [self.sheet, *self.titles]:
            for match in re.finditer(rf"([0-9A-Z]{{1,4}}){BUILDING_WORDS}", title.upper()):
                found.append(match[0])
        return found


def read_content(file) -> bytes:
    """The upload's bytes, refusing anything over 5 MB without reading it all."""
    return read_upload(file, limits=limits())


def read_table(content: bytes, *, file_name: str = "") -> Table:
    """The price table of the file (in a workbook, of its first sheet that has one); refused whole if the
    file is unreadable or past any bound."""
    spreadsheet = open_spreadsheet(content, file_name=file_name, limits=limits())
    return _first_table(spreadsheet.format, spreadsheet.sheets)


class _NoHeader(ImportRejected):
    pass


def _first_table(file_format: str, sheets) -> Table:
    """A workbook often opens with a cover or notes sheet: the table is on the first sheet that has a header."""
    first_problem = None
    for sheet in sheets:
        try:
            table = _find_table(file_format, sheet)
        except _NoHeader as problem:
            first_problem = first_problem or problem
            continue
        table.sheet = text(sheet.name)
        return table
    raise first_problem or _no_header(None)


def _header_columns(values: tuple) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        names = header_keys(value)
        key = next((key for name in names for key, (_label, aliases) in COLUMNS.items() if name in aliases), None)
        if key is not None and key not in columns:
            columns[key] = index
    return columns


def _find_table(file_format: str, sheet: Sheet) -> Table:
    table: Table | None = None
    best: tuple[int, dict[str, int]] | None = None
    titles: list[str] = []
    header_values: tuple = ()
    for number, values in sheet.rows:  # rows holding a value, numbered as in the sheet, none past the bounds
        if table is None:
            if number > HEADER_SCAN_ROWS:
                break
            columns = _header_columns(values)
            if all(key in columns for key in REQUIRED):
                header_values = values
                table = Table(format=file_format, header_row=number, columns=columns, titles=titles)
                table.totals_in_wan = "万" in text(values[columns["total_price"]])
            else:
                if len(columns) >= 2 and (best is None or len(columns) > len(best[1])):
                    best = (number, columns)
                titles.extend(t for t in (text(v) for v in values) if t)
            continue
        if not any(text(v) for v in values):
            continue
        if values == header_values:
            continue  # the header repeated on every printed page
        if len(table.rows) >= MAX_ROWS:
            raise file_problem(_("A price list may hold at most %(max)s rows.") % {"max": MAX_ROWS}, row=number)
        table.rows.append((number, values))
    if table is None:
        raise _no_header(best)
    if not table.rows:
        raise file_problem(_("The file has headers but no price rows."), row=table.header_row + 1)
    return table


def _no_header(best: tuple[int, dict[str, int]] | None) -> "_NoHeader":
    required = "、".join(LABELS[key] for key in REQUIRED)
    if best is None:
        message = _("No header row found in the first %(rows)s rows: a price list needs at least the columns "
                    "%(columns)s.") % {"rows": HEADER_SCAN_ROWS, "columns": required}
        return _NoHeader(message, field="file", details=[{"row": None, "column": None, "message": message}])
    row, columns = best
    missing = [LABELS[key] for key in REQUIRED if key not in columns]
    message = _("Missing columns: %(columns)s. The header row (row %(row)s) needs at least %(expected)s.") % {
        "columns": "、".join(missing), "row": row, "expected": required}
    return _NoHeader(message, field="file", details=[
        {"row": row, "column": column, "message": _("Column missing.")} for column in missing])


def is_not_a_unit(values: tuple, table: Table) -> bool:
    """A totals line or a note under the table: no unit code, and words that say what it is."""
    code_index = table.columns["code"]
    code = text(values[code_index]) if code_index < len(values) else ""
    first = next((text(v) for v in values if text(v)), "")
    return bool(_NOT_A_UNIT.match(first)) and (not code or code == first)
