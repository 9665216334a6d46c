"""Hostile price lists through the real upload page: each is refused with a clear 400 in well under two seconds
and 100 MB, nothing is written, and another user logs in at that very moment without a hitch.

Memory is measured with tracemalloc in this process, from a zero taken just before the upload: it counts what
the request allocates (Python, expat, zlib and xlrd all allocate through Python's allocators) and nothing the
test session held before, which the process's peak RSS would include. Tracing slows Python down, so the time
measured is, if anything, longer than a real request's.

The other user's login starts the moment the upload's parse starts and runs beside it, on its own connection; its
time is counted in the upload's (they share the machine). A parse inside a transaction would hold the database
(SQLite's write lock, PostgreSQL's row locks) across that login; this one runs before any transaction, which the
test also checks. CI runs this on SQLite and on PostgreSQL; the login needs real commits on a
second connection, hence `transaction=True`.
"""

import io
import threading
import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from openpyxl import load_workbook

from yunlou.accounts.models import Role
from yunlou.accounts.tests.factories import make_staff
from yunlou.catalogue.models import PriceListDraft, Unit
from yunlou.catalogue.services.price_list import drafts
from yunlou.core.models import AuditLog
from yunlou.core.tests import hostile_files as hostile

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024

# (what it is, how to build it, words the refusal must show)
HOSTILE = [
    ("billion-row gap", hostile.billion_row_gap, "1,000,000,000"),
    ("billion-row gap with a dimension that lies", lambda: hostile.billion_row_gap("A1:E2"), "1,000,000,000"),
    ("one huge shared string", hostile.huge_shared_string, "xl/sharedStrings.xml"),
    ("a million shared strings", hostile.many_shared_strings, "1,000,000"),
    ("zip bomb", hostile.zip_bomb, "xl/styles.xml"),
    ("zip whose directory lies", hostile.lying_zip, ".xlsx"),
]


class LoginDuringParse:
    """Another user logs in, with a real password, while the upload is being read."""

    def __init__(self, monkeypatch, *, username: str) -> None:
        self.username = username
        self.started = threading.Event()
        self.outcome: object = None
        self.parsed_in_transaction: bool | None = None
        self.thread = threading.Thread(target=self._log_in)
        original = drafts.read_table

        def read_table(*args, **kwargs):
            # The login starts as the parse starts and runs beside it (not after it): the two share the
            # database and the CPU at the same moment, as two users of one server do.
            self.parsed_in_transaction = connection.in_atomic_block
            self.thread.start()
            return original(*args, **kwargs)

        monkeypatch.setattr(drafts, "read_table", read_table)

    def _log_in(self) -> None:
        try:
            response = Client().post("/accounts/login/", {"username": self.username, "password": "secret-pass-123"})
            self.outcome = response.status_code
        except Exception as exc:  # noqa: BLE001 - the failure is what the test reports
            self.outcome = exc
        finally:
            connections.close_all()


@pytest.mark.parametrize("build, says", [(build, says) for _name, build, says in HOSTILE],
                         ids=[name for name, _build, _says in HOSTILE])
def test_a_hostile_workbook_is_refused_quickly_and_cheaply_while_another_user_logs_in(
    client, project, building, manager, monkeypatch, build, says
):
    content = build()
    make_staff(role=Role.CONSULTANT, organization=project.organization, projects=[project], username="wanglei")
    prices_before = dict(Unit.objects.values_list("code", "list_price"))
    client.force_login(manager.user)
    url = f"/staff/projects/{project.pk}/price-list/"
    assert client.get(url).status_code == 200  # a warm server: templates compiled, translations loaded
    login = LoginDuringParse(monkeypatch, username="wanglei")
    upload = SimpleUploadedFile("一房一价.xlsx", content)

    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    try:
        response = client.post(url, {"file": upload})
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    login.thread.join(timeout=60)
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page
    assert seconds < 2, f"took {seconds:.2f} s"
    assert peak < 100 * MB, f"peak {peak / MB:.0f} MB"
    assert login.outcome == 302, login.outcome
    assert login.parsed_in_transaction is False
    assert not PriceListDraft.objects.exists()
    assert not AuditLog.objects.filter(action="price_list.upload").exists()
    assert dict(Unit.objects.values_list("code", "list_price")) == prices_before


def test_a_price_list_export_with_names_that_look_like_formulas_imports_back_unchanged(client, project, building,
                                                                                      manager):
    project.name = "=云栖府"
    project.save(update_fields=["name"])
    notes = {"3-0101": "=HYPERLINK(\"http://evil.example\")", "3-0102": "+86 138 0000 0000", "3-0201": "-5",
             "3-0202": "@SUM(A1:A9)", "3-0301": "'=quoted already"}
    for code, note in notes.items():
        Unit.objects.filter(building=building, code=code).update(note=note)
    client.force_login(manager.user)

    exported = client.get(f"/staff/projects/{project.pk}/price-list.xlsx")
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows())
    assert not [cell.coordinate for row in rows for cell in row if cell.data_type == "f"]
    assert rows[0][0].value.startswith("'=云栖府")
    by_code = {row[2].value: row for row in rows[2:]}
    assert {code: by_code[code][10].value for code in notes} == {code: "'" + note for code, note in notes.items()}
    assert by_code["3-0101"][8].data_type == "n"  # prices stay numbers

    response = client.post(f"/staff/projects/{project.pk}/price-list/",
                           {"file": SimpleUploadedFile("导出.xlsx", exported.content)})
    assert response.status_code == 302
    draft = PriceListDraft.objects.get()
    assert (draft.plan["created"], draft.plan["changed"], draft.plan["unchanged"]) == ([], [], building.units.count())
