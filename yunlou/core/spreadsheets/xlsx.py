"""Reading an .xlsx without trusting it: the zip directory first, then each part streamed through expat.

openpyxl is not used to read. Its read-only mode still loads the styles and the whole shared-string table
into memory at open (one 70 MB string costs it 260 MB; a 70 MB styles part, packed into 250 KB, 900 MB and
20 seconds), builds every cell of a row before handing the row on, fills a gap in the row numbers with one
empty row per missing number, and reads a part with `ZipExtFile.read()`, which inflates the whole stream
before cutting it to the declared size. Here every part is inflated 64 KB at a time and parsed as it comes,
so memory holds one chunk, one row and the shared strings (bounded by count, size and length); rows are
numbered by their `r` attribute, so a gap costs nothing; and cells right of the columns read are skipped.

What a cell gives is what openpyxl's read-only, data-only mode gives: numbers as int or float, dates (by the
cell's number format, the CJK built-in date formats included) as datetime, text as str, booleans, an error
as its text ("#N/A"), a formula as its cached result.
"""

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import is_date_format, is_timedelta_format
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601
from openpyxl.utils.escape import unescape

from yunlou.core.spreadsheets.bounds import (
    Budget,
    Limits,
    check_dimension,
    megabytes,
    rejected,
    too_many_texts,
    unreadable,
)
from yunlou.core.spreadsheets.reading import Sheet

CHUNK = 64 * 1024
# Built-in number formats that are dates: 14–22 and 45–47 everywhere, 27–36 and 50–58 in Chinese, Japanese and
# Korean Excel (年月日); 46 ([h]:mm:ss) is a duration.
DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
DURATION_FORMAT_IDS = frozenset({46})
MAX_CELL_FORMATS = 65_536  # Excel allows 64,000; formats past this are read as General
_COLUMNS = {get_column_letter(index): index for index in range(1, 16_385)}
_DIMENSION = re.compile(r"([A-Z]{1,3})?([0-9]{1,10})?(?::([A-Z]{1,3})?([0-9]{1,10})?)?")
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError, struct.error)


def xlsx_sheets(content: bytes, *, limits: Limits, budget: Budget) -> Iterator[Sheet]:
    """The workbook's worksheets in order; the zip, workbook, styles and shared strings are checked and read
    now, each sheet's rows as they are iterated."""
    package = _Package(content, limits, budget)
    workbook_path = package.main_part()
    relations = package.relationships(workbook_path)
    workbook = _Workbook(package, workbook_path)
    workbook.read()
    epoch = CALENDAR_MAC_1904 if workbook.date1904 else CALENDAR_WINDOWS_1900
    styles = _Styles(package, _related(package, relations, "/styles", "xl/styles.xml"))
    styles.read()
    strings = _SharedStrings(package, _related(package, relations, "/sharedStrings", "xl/sharedStrings.xml"))
    strings.read()
    sheets = []
    for name, relation in workbook.sheets:
        kind, target = relations.get(relation, ("", ""))
        if kind.endswith("/worksheet") and package.has(target):
            sheets.append((name, target))
    if not sheets:
        raise unreadable()
    return (Sheet(name, _SheetRows(package, target, name=name, strings=strings.strings, dates=styles.dates,
                                   durations=styles.durations, epoch=epoch).rows())
            for name, target in sheets)


def _related(package: "_Package", relations: dict, kind: str, fallback: str) -> str | None:
    for found, target in relations.values():
        if found.endswith(kind) and package.has(target):
            return target
    return fallback if package.has(fallback) else None


def _declared_members(content: bytes) -> int | None:
    """The number of parts the zip's end record declares, read before zipfile builds an object for each."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0 or end + 22 > len(content):
        return None
    count = struct.unpack_from("<H", content, end + 10)[0]
    return None if count == 0xFFFF else count  # zip64: the count is elsewhere; zipfile's own listing is checked


class _Package:
    """The zip, its directory checked against the limits before any part is inflated."""

    def __init__(self, content: bytes, limits: Limits, budget: Budget) -> None:
        self.limits, self.budget = limits, budget
        declared = _declared_members(content)
        if declared is not None and declared > limits.members:
            raise self._too_many_parts(declared)
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(content))
            members = self.archive.infolist()
        except _READ_ERRORS as exc:
            raise unreadable() from exc
        if len(members) > limits.members:
            raise self._too_many_parts(len(members))
        total = 0
        for member in members:
            if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise unreadable()  # encrypted, or packed in a way office files are not
            if member.file_size > limits.ratio_grace_bytes and (
                member.file_size > limits.ratio * max(member.compress_size, 1)
            ):
                raise rejected(_("Part %(part)s of the workbook unpacks %(ratio)s times larger than it is packed, "
                                 "as zip bombs do; the file is refused unopened.") % {
                    "part": member.filename[:100], "ratio": f"{member.file_size // max(member.compress_size, 1):,}"})
            if member.file_size > limits.part_bytes:
                raise rejected(_("Part %(part)s of the workbook unpacks to %(size)s MB; at most %(max)s MB can be "
                                 "read.") % {"part": member.filename[:100], "size": megabytes(member.file_size),
                                             "max": megabytes(limits.part_bytes)})
            total += member.file_size
        if total > limits.unpacked_bytes:
            raise rejected(_("The workbook unpacks to %(size)s MB; at most %(max)s MB can be read.") % {
                "size": megabytes(total), "max": megabytes(limits.unpacked_bytes)})
        self.members = {member.filename: member for member in members}
        self.folded = {name.lower(): name for name in self.members}
        self.inflated = 0

    def _too_many_parts(self, count: int):
        return rejected(_("The workbook holds %(count)s parts; a spreadsheet has at most %(max)s.") % {
            "count": f"{count:,}", "max": f"{self.limits.members:,}"})

    def has(self, name: str | None) -> bool:
        return name is not None and self._name(name) is not None

    def _name(self, name: str) -> str | None:
        return name if name in self.members else self.folded.get(name.lower())

    def chunks(self, name: str) -> Iterator[bytes]:
        """The part, inflated a chunk at a time and never past its declared size (zipfile cuts it there and
        then fails the CRC; the count here holds whatever zipfile does)."""
        member = self.members[self._name(name)]
        read = 0
        try:
            with self.archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    read += len(chunk)
                    self.inflated += len(chunk)
                    if read > member.file_size or self.inflated > self.limits.unpacked_bytes:
                        raise unreadable()
                    self.budget.check()
                    yield chunk
        except _READ_ERRORS as exc:
            raise unreadable() from exc

    def main_part(self) -> str:
        for kind, target in self.relationships("").values():
            if kind.endswith("/officeDocument") and self.has(target):
                return self._name(target)
        if self.has("xl/workbook.xml"):
            return self._name("xl/workbook.xml")
        raise unreadable()

    def relationships(self, source: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, target part) for a part ("" for the package itself)."""
        folder, base = posixpath.split(source)
        path = posixpath.join(folder, "_rels", f"{base}.rels")
        if not self.has(path):
            return {}
        reader = _Relationships(self, path, folder)
        reader.read()
        return reader.found


# Element names as expat reports them with namespaces on ("namespace local"): transitional and strict OOXML,
# and no namespace at all (some writers forget it). Elements of any other namespace (extensions) are ignored.
_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
               "http://purl.oclc.org/ooxml/spreadsheetml/main",
               "http://schemas.openxmlformats.org/package/2006/relationships", "")


def _tags(*names: str) -> dict[str, str]:
    return {(f"{namespace} {name}" if namespace else name): name for namespace in _NAMESPACES for name in names}


class _Part:
    """One XML part parsed as it inflates. Subclasses name the elements they handle (`tags`, by local name) and
    collect text only where they ask for it."""

    tags: dict[str, str] = {}

    def __init__(self, package: _Package, name: str | None) -> None:
        self.package, self.name = package, name
        self.limits = package.limits
        self.done = False
        self.events = 0
        self.text: list[str] | None = None  # collecting character data while a list
        self.text_length = 0
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        parser.StartDoctypeDeclHandler = self._declaration
        parser.EntityDeclHandler = self._declaration
        parser.ElementDeclHandler = self._declaration
        self.parser = parser

    def _declaration(self, *_args) -> None:
        # Spreadsheet parts never declare a DTD or entities; one that does is forged (billion laughs, XXE).
        raise unreadable()

    def _start(self, name: str, attributes: dict) -> None:
        self.events += 1
        tag = self.tags.get(name)
        if tag is not None:
            self.start(tag, attributes)

    def _end(self, name: str) -> None:
        self.events += 1
        tag = self.tags.get(name)
        if tag is not None:
            self.end(tag)

    def _characters(self, data: str) -> None:
        self.events += 1
        if self.text is not None:
            self.text_length += len(data)
            if self.text_length > self.limits.cell_chars:
                raise self.too_long()
            self.text.append(data)

    def too_long(self):
        return rejected(_("A cell of the workbook holds more than %(max)s characters, more than Excel allows.")
                        % {"max": f"{self.limits.cell_chars:,}"})

    def collect(self) -> None:
        self.text, self.text_length = [], 0

    def collected(self) -> str:
        text = "".join(self.text or ())
        self.text = None
        return text

    def start(self, name: str, attributes: dict) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def fed(self) -> Iterator[None]:
        """Feed the part through the parser, pausing after each chunk; stop once the subclass is done."""
        if self.name is None:
            return
        quiet = 0
        for chunk in self.package.chunks(self.name):
            before = self.events
            try:
                self.parser.Parse(chunk, False)
            except expat.ExpatError as exc:
                raise unreadable() from exc
            # No event over a megabyte: a tag, comment or declaration that long is not a spreadsheet's.
            quiet = quiet + len(chunk) if self.events == before else 0
            if quiet > self.limits.token_bytes:
                raise unreadable()
            yield
            if self.done:
                return
        try:
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise unreadable() from exc

    def read(self) -> None:
        for _chunk in self.fed():
            pass


def _attribute(attributes: dict, local: str) -> str | None:
    """A namespaced attribute (r:id) by its local name."""
    for key, value in attributes.items():
        if key == local or key.endswith(" " + local):
            return value
    return None


class _Relationships(_Part):
    tags = _tags("Relationship")

    def __init__(self, package: _Package, name: str, folder: str) -> None:
        super().__init__(package, name)
        self.folder = folder
        self.found: dict[str, tuple[str, str]] = {}

    def start(self, name, attributes):
        if name != "Relationship" or attributes.get("TargetMode") == "External" or len(self.found) >= 10_000:
            return
        target = attributes.get("Target", "")
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(self.folder, target))
        self.found[attributes.get("Id", "")] = (attributes.get("Type", ""), path)


class _Workbook(_Part):
    tags = _tags("workbookPr", "sheet", "sheets")

    def __init__(self, package, name):
        super().__init__(package, name)
        self.sheets: list[tuple[str, str]] = []
        self.date1904 = False

    def start(self, name, attributes):
        if name == "workbookPr":
            self.date1904 = attributes.get("date1904", "").lower() in ("1", "true")
        elif name == "sheet" and len(self.sheets) < self.limits.sheets:
            self.sheets.append((attributes.get("name", "")[:100], _attribute(attributes, "id") or ""))

    def end(self, name):
        if name == "sheets":
            self.done = True


class _Styles(_Part):
    """Which cell formats show dates and durations: all a reader needs of the styles."""

    tags = _tags("numFmt", "cellXfs", "xf")

    def __init__(self, package, name):
        super().__init__(package, name)
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []
        self.in_cell_formats = False
        self.dates: frozenset[int] = frozenset()
        self.durations: frozenset[int] = frozenset()

    def start(self, name, attributes):
        if name == "numFmt" and len(self.custom) < MAX_CELL_FORMATS:
            number = _small_int(attributes.get("numFmtId"))
            if number is not None:
                code = attributes.get("formatCode", "")[:255]  # Excel's longest format code
                self.custom[number] = "duration" if is_timedelta_format(code) else (
                    "date" if is_date_format(code) else "")
        elif name == "cellXfs":
            self.in_cell_formats = True
        elif name == "xf" and self.in_cell_formats and len(self.formats) < MAX_CELL_FORMATS:
            self.formats.append(_small_int(attributes.get("numFmtId")) or 0)

    def end(self, name):
        if name == "cellXfs":
            self.in_cell_formats, self.done = False, True

    def read(self):
        super().read()
        dates, durations = set(), set()
        for style, number in enumerate(self.formats):
            kind = self.custom.get(number)
            if kind is None:
                kind = "duration" if number in DURATION_FORMAT_IDS else "date" if number in DATE_FORMAT_IDS else ""
            if kind:
                dates.add(style)
            if kind == "duration":
                durations.add(style)
        self.dates, self.durations = frozenset(dates), frozenset(durations)


def _small_int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() and len(value) <= 9 else None


class _SharedStrings(_Part):
    """The workbook's table of distinct strings, refused past its limits on count, size and length."""

    tags = _tags("sst", "si", "rPh", "t")

    def __init__(self, package, name):
        super().__init__(package, name)
        self.strings: list[str] = []
        self.pieces: list[str] | None = None
        self.phonetic = 0
        if name is not None:
            size = package.members[package._name(name)].file_size
            if size > self.limits.shared_strings_bytes:
                raise rejected(_("The workbook's shared strings unpack to %(size)s MB; at most %(max)s MB can be "
                                 "read.") % {"size": megabytes(size),
                                             "max": megabytes(self.limits.shared_strings_bytes)})

    # Some five events per string: the base class's dispatch is inlined here.
    def _start(self, name, attributes):
        self.events += 1
        tag = self.tags.get(name)
        if tag == "t":
            if self.pieces is not None and not self.phonetic:
                # The length limit holds for the whole string, not for each run of it.
                self.text, self.text_length = [], sum(map(len, self.pieces)) if self.pieces else 0
        elif tag == "si":
            self.pieces, self.phonetic = [], 0
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "sst":
            declared = _small_int(attributes.get("uniqueCount"))
            if declared is not None and declared > self.limits.shared_strings:
                raise too_many_texts(declared, self.limits)

    def _end(self, name):
        self.events += 1
        tag = self.tags.get(name)
        if tag == "t":
            if self.text is not None:
                self.pieces.append("".join(self.text))
                self.text = None
        elif tag == "si":
            if self.pieces is not None:
                if len(self.strings) >= self.limits.shared_strings:
                    raise too_many_texts(len(self.strings) + 1, self.limits)
                text = self.pieces[0] if len(self.pieces) == 1 else "".join(self.pieces)
                self.strings.append(unescape(text) if "_x" in text else text)
                self.pieces = None
        elif tag == "rPh":
            self.phonetic -= 1


class _SheetRows(_Part):
    """A worksheet's rows as (number, values), each row handed on when its end tag is read."""

    def __init__(self, package: _Package, part: str, *, name: str, strings: list[str], dates: frozenset[int],
                 durations: frozenset[int], epoch) -> None:
        super().__init__(package, part)
        self.sheet = name
        self.strings, self.dates, self.durations, self.epoch = strings, dates, durations, epoch
        self.in_data = False
        self.ready: list[tuple[int, tuple]] = []
        self.row_number = 0
        self.values: dict[int, object] = {}
        self.column = 0
        self.cell: tuple[str, int] | None = None  # (type, style) of the cell being read, if it is read
        self.cell_text: str | None = None
        self.in_inline = False
        self.phonetic = 0

    def rows(self) -> Iterator[tuple[int, tuple]]:
        for _chunk in self.fed():
            if self.ready:
                ready, self.ready = self.ready, []
                yield from ready
        yield from self.ready

    tags = _tags("sheetData", "dimension", "row", "c", "v", "is", "t", "rPh")

    # The hot path, some five events per cell: the base class's dispatch is inlined here.
    def _start(self, name, attributes):
        self.events += 1
        tag = self.tags.get(name)
        if tag == "c":
            reference = attributes.get("r")
            if reference:
                self.column = _COLUMNS.get(reference.rstrip("0123456789"), 0)
            else:
                self.column += 1
            if 0 < self.column <= self.limits.read_columns:
                self.cell, self.cell_text = (attributes.get("t", "n"), _small_int(attributes.get("s")) or 0), None
            else:
                self.cell = None  # right of the columns read, or a reference that names no column
        elif tag is None:
            return
        elif self.cell is None:
            if tag == "row":
                self._row_start(attributes)
            elif tag == "sheetData":
                self.in_data = True
            elif tag == "dimension" and not self.in_data:
                self._dimension(attributes.get("ref", ""))
        elif tag == "v" or (tag == "t" and self.in_inline and not self.phonetic):
            self.text, self.text_length = [], len(self.cell_text) if tag == "t" and self.cell_text else 0
        elif tag == "is":
            self.in_inline, self.cell_text = True, ""
        elif tag == "rPh":
            self.phonetic += 1

    def _end(self, name):
        self.events += 1
        tag = self.tags.get(name)
        if tag is None:
            return
        if self.cell is not None:
            if self.text is not None and (tag == "v" or tag == "t"):
                self.cell_text = (self.cell_text or "") + "".join(self.text)
                self.text = None
            elif tag == "c":
                value = self._value(*self.cell, self.cell_text)
                if value is not None:
                    self.values[self.column] = value
                self.cell = None
            elif tag == "rPh":
                self.phonetic -= 1
            elif tag == "is":
                self.in_inline = False
        elif tag == "row":
            if self.values:
                width = max(self.values)
                self.ready.append((self.row_number, tuple(self.values.get(i) for i in range(1, width + 1))))
                self.values = {}
        elif tag == "sheetData":
            self.done = True

    def _row_start(self, attributes):
        written = attributes.get("r")
        if written is None:
            self.row_number += 1
        elif written.isascii() and written.isdigit() and len(written) <= 10:
            self.row_number = int(written)
        else:
            raise unreadable()
        self.column = 0
        self.values = {}

    def _dimension(self, reference: str) -> None:
        match = _DIMENSION.fullmatch(reference.upper().replace("$", ""))
        if match is None:
            return  # a malformed dimension says nothing; the rows themselves are bounded
        check_dimension(self.sheet, rows=int(match[4] or match[2] or 0),
                        columns=_COLUMNS.get(match[3] or match[1] or "", 0), reference=reference, limits=self.limits)

    def _value(self, kind: str, style: int, text: str | None):
        if text is None:
            return None
        try:
            if kind == "n":
                number = float(text) if "." in text or "E" in text or "e" in text else int(text)
                if style in self.dates:
                    try:
                        return from_excel(number, self.epoch, timedelta=style in self.durations)
                    except (OverflowError, ValueError):
                        return number  # outside any calendar: the number it is
                return number
            if kind == "s":
                return self.strings[int(text)]
            if kind == "inlineStr" or kind == "str":
                return unescape(text) if "_x" in text else text
            if kind == "b":
                return text.strip() in ("1", "true")
            if kind == "e":
                return text
            if kind == "d":
                try:
                    return from_ISO8601(text)
                except ValueError:
                    return text
        except (ValueError, IndexError, OverflowError) as exc:
            raise unreadable(row=self.row_number) from exc
        return text
