"""Spreadsheets built byte by byte to hurt whoever reads them, for the tests of every import.

Each is a small upload that asks a careless reader for minutes of work or gigabytes of memory: a sheet that
declares a billion rows and has one at the end, one shared string as long as a novel series, a million
shared strings, a part that inflates a thousandfold, and a zip whose directory lies about what it holds.
Big parts are streamed into the zip, so building one costs the test little memory; each is built once.
"""

import functools
import io
import struct
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
MiB = 1024 * 1024

HEADER_ROW = ('<row r="1">' + "".join(
    f'<c r="{column}1" t="inlineStr"><is><t>{label}</t></is></c>'
    for column, label in zip("ABCDE", ["楼栋", "房号", "户型", "建筑面积(㎡)", "总价(元)"], strict=True)) + "</row>")
DATA_ROW = ('<row r="2"><c r="A2"><v>3</v></c><c r="B2" t="inlineStr"><is><t>3-0101</t></is></c>'
            '<c r="C2" t="inlineStr"><is><t>A户型</t></is></c><c r="D2"><v>76</v></c><c r="E2"><v>2300000</v></c>'
            "</row>")

Part = bytes | Iterable[bytes]


def worksheet(rows: str, *, dimension: str | None = "A1:E2") -> bytes:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">{declared}'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def workbook(*, sheet: Part | None = None, shared_strings: Part | None = None, styles: Part | None = None,
             compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A complete .xlsx as Excel lays it out (content types, relationships, workbook, one sheet), with any part
    replaced; a part given as an iterable of chunks is streamed into the zip."""
    types = ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"]
    overrides = [("/xl/workbook.xml", types[0]), ("/xl/worksheets/sheet1.xml", types[1]),
                 ("/xl/styles.xml", types[2])]
    relationships = [("rId1", "worksheet", "worksheets/sheet1.xml"), ("rId2", "styles", "styles.xml")]
    if shared_strings is not None:
        overrides.append(("/xl/sharedStrings.xml", types[3]))
        relationships.append(("rId3", "sharedStrings", "sharedStrings.xml"))
    parts: dict[str, Part] = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
            + "</Types>").encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>").encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            '<sheets><sheet name="一房一价" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            + "".join(f'<Relationship Id="{rid}" Type="{RELATIONSHIPS}/{kind}" Target="{target}"/>'
                      for rid, kind, target in relationships)
            + "</Relationships>").encode(),
        "xl/styles.xml": styles if styles is not None else (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><cellXfs count="1">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellXfs></styleSheet>').encode(),
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else worksheet(HEADER_ROW + DATA_ROW),
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=9) as archive:
        for name, content in parts.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as member:
                for chunk in content:
                    member.write(chunk)
    return buffer.getvalue()


def _repeat(head: str, unit: bytes, total: int, tail: str) -> Iterable[bytes]:
    yield head.encode()
    block = unit * max(1, MiB // len(unit))
    written = 0
    while written < total:
        yield block
        written += len(block)
    yield tail.encode()


@functools.cache
def billion_row_gap(dimension: str | None = "A1:E1000000000") -> bytes:
    """5 KB: the header, one unit, then one cell at row 1,000,000,000, with or without a dimension saying so."""
    far = '<row r="1000000000"><c r="A1000000000"><v>1</v></c></row>'
    return workbook(sheet=worksheet(HEADER_ROW + DATA_ROW + far, dimension=dimension))


@functools.cache
def huge_shared_string(megabytes: int = 70, *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """One shared string of `megabytes` MB (deflated, 70 MB packs into about 70 KB), used by a cell."""
    sheet = worksheet(HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>')
    strings = _repeat(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>',
                      b"A", megabytes * MiB, "</t></si></sst>")
    return workbook(sheet=sheet, shared_strings=strings, compression=compression)


@functools.cache
def many_shared_strings(count: int = 1_000_000, *, declared: int | None = None) -> bytes:
    """`count` distinct short shared strings (a million pack into about 4 MB); `declared` lets the table's
    uniqueCount understate them."""
    declared = count if declared is None else declared

    def strings():
        yield (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{declared}" '
               f'uniqueCount="{declared}">').encode()
        for start in range(0, count, 10_000):
            yield "".join(f"<si><t>{number:x}</t></si>" for number in range(start, min(count, start + 10_000))).encode()
        yield b"</sst>"

    sheet = worksheet(HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>')
    return workbook(sheet=sheet, shared_strings=strings())


@functools.cache
def zip_bomb(megabytes: int = 70) -> bytes:
    """A styles part of `megabytes` MB of cell formats, honestly declared, packed about a thousandfold: under the
    80 MB a workbook may unpack to, so only a per-part ratio or a streaming reader stands in its way."""
    styles = _repeat(f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><cellXfs>',
                     b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>',
                     megabytes * MiB, "</cellXfs></styleSheet>")
    return workbook(styles=styles)


@functools.cache
def lying_zip(megabytes: int = 200) -> bytes:
    """A styles part that inflates to `megabytes` MB while the zip's directory says it holds 2 KB."""
    honest = zip_bomb(megabytes)
    return declare_size(honest, "xl/styles.xml", 2048)


def declare_size(content: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size rewritten in its local header and in the central directory."""
    patched = bytearray(content)
    encoded = name.encode()
    position = 0
    while (position := patched.find(b"PK\x01\x02", position)) != -1:
        name_length = struct.unpack_from("<H", patched, position + 28)[0]
        if bytes(patched[position + 46: position + 46 + name_length]) == encoded:
            struct.pack_into("<I", patched, position + 24, size)
            local = struct.unpack_from("<I", patched, position + 42)[0]
            struct.pack_into("<I", patched, local + 22, size)
            return bytes(patched)
        position += 4
    raise KeyError(name)


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
