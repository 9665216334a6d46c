"""Text from outside loses, once and at the edge, the characters that only ever break or disguise it.

Which characters: the C0 controls but tab, line feed and carriage return (U+0000–U+001F), DEL and the C1
controls (U+007F–U+009F), and the invisible bidirectional controls — the marks U+200E/U+200F/U+061C, the
embeddings and overrides U+202A–U+202E and the isolates U+2066–U+2069. A NUL makes PostgreSQL refuse the
whole statement (a 500 before this module existed); the other controls are stored and shown raw and break
the XML inside .xlsx exports; an override such as U+202E turns "王磊\u202e831" into "王磊138" on every page
that shows it, which is how a name or a file name is disguised.

Per kind of value, decided where the kind is known:
- free text (names, questions, notes, searches, file names): the characters are removed; honest text pasted
  from a web page or a Word document carries them (an LRM, Word's line break U+000B), and nothing is lost;
- identifiers (share codes, phone numbers, SMS codes): refused, naming the field — a code that needs
  cleaning is not the code anyone was given.

Where:
- `ControlCharacterMiddleware` cleans every page request's query string and form fields (and uploaded file
  names), for the views that read `request.GET`/`request.POST` themselves as much as for forms;
- the JSON API is left to its schemas (`yunlou.core.schemas.FreeText` and `Identifier`), which know each
  parameter's kind and so can refuse a code rather than change it; `tests/api/test_control_characters.py`
  holds every string an API operation accepts to one of those two types;
- forms use `yunlou.core.forms.CleanCharField`, so that a form filled from anything but a request is
  cleaned the same way.
"""

import re

from django.http import Http404, QueryDict

from yunlou.core.parsing import MAX_ID

_C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNWANTED = re.compile(f"[{_C0_C1}{_BIDI}]")

API_PREFIX = "/api/"  # the JSON API validates its own input, per parameter (see the module docstring)


def strip_controls(text: str) -> str:
    """`text` without control and bidirectional formatting characters (tab and line breaks stay)."""
    return UNWANTED.sub("", text) if UNWANTED.search(text) else text


def first_control(text: str) -> str | None:
    """The first unwanted character in `text` written as U+XXXX, or None when there is none."""
    found = UNWANTED.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def clean_querydict(data: QueryDict) -> QueryDict:
    """`data` itself when it is clean (the usual case, at no cost), else a cleaned read-only copy."""
    if not any(UNWANTED.search(key) or any(UNWANTED.search(value) for value in values if isinstance(value, str))
               for key, values in data.lists()):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        for value in values:
            cleaned.appendlist(strip_controls(key), strip_controls(value) if isinstance(value, str) else value)
    cleaned._mutable = False
    return cleaned


class ControlCharacterMiddleware:
    """Every page sees its query string, form fields and uploaded file names without control characters,
    and a path id too large for any table is a 404 before a view hands it to the database.

    Placed early in MIDDLEWARE, before anything reads a parameter. The form body is cleaned when it is first
    read, not here: a view may still choose how its upload is received until then.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            request.GET = clean_querydict(request.GET)
            _clean_form_body_when_read(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # `<int:…>` in a URL matches any run of digits; past 2⁶³−1 no row can have it, and the database would
        # refuse the number itself (SQLite: "datatype mismatch", PostgreSQL: "bigint out of range").
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not 0 <= value <= MAX_ID:
                raise Http404("No such object.")
        return None


def _clean_form_body_when_read(request) -> None:
    load = request._load_post_and_files  # what request.POST and request.FILES call on first use

    def clean():
        request._post = clean_querydict(request._post)
        for _name, files in request._files.lists():
            for upload in files:
                if upload.name and UNWANTED.search(upload.name):
                    upload.name = strip_controls(upload.name)

    def load_and_clean():
        load()
        clean()

    if hasattr(request, "_post"):  # an earlier layer read the body already
        clean()
    else:
        request._load_post_and_files = load_and_clean
