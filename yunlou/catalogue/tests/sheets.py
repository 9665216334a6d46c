"""Price-list files built the way sales offices send them: a merged title row or two above the header,
extra columns, .xlsx, legacy .xls and CSV in UTF-8 or GBK."""

import csv
import io

from openpyxl import Workbook

HEADERS = ["楼栋", "房号", "户型", "建筑面积(㎡)", "总价(元)"]


def xlsx(*rows, headers=HEADERS, titles=()) -> io.BytesIO:
    """A workbook with `titles` as merged rows across the table, then `headers`, then `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    width = max([len(headers or ())] + [len(row) for row in rows] + [1])
    for number, title in enumerate(titles, start=1):
        sheet.append([title])
        if width > 1:
            sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=width)
    if headers is not None:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def xls(*rows, headers=HEADERS, titles=()) -> io.BytesIO:
    """A real BIFF8 .xls (as Excel 2003 and WPS write them), with merged title rows."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("一房一价")
    width = max([len(headers or ())] + [len(row) for row in rows] + [1])
    line = 0
    for title in titles:
        sheet.write_merge(line, line, 0, width - 1, title)
        line += 1
    for row in ([headers] if headers is not None else []) + [list(r) for r in rows]:
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(line, column, value)
        line += 1
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def csv_file(*rows, headers=HEADERS, titles=(), encoding="utf-8") -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    for title in titles:
        writer.writerow([title])
    if headers is not None:
        writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return io.BytesIO(text.getvalue().encode(encoding))


def upload(buffer: io.BytesIO, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, buffer.getvalue())
