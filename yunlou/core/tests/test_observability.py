"""Errors leave a trace (issue 7, item 5): a request id on every answer, JSON log lines with the traceback,
the id on the 500 page, and Sentry when configured."""

import gzip
import io
import json
import logging
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[3]


def test_every_answer_carries_a_request_id_and_keeps_a_well_formed_one_from_the_proxy(client, db):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-Id"]) == 32 and first["X-Request-Id"] != second["X-Request-Id"]
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21-0042")["X-Request-Id"] == "lb-7f3a9c21-0042"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="x\nSet-Cookie: a=b")["X-Request-Id"]
    assert "\n" not in forged and len(forged) == 32


@pytest.mark.urls("yunlou.core.tests.urls_failing")
def test_an_unhandled_error_is_logged_as_json_with_its_traceback_and_the_page_shows_its_id(db, settings):
    settings.DEBUG = False
    handler = logging.getLogger("django.request").handlers[0]  # the console handler: stdout, JSON (settings)
    assert handler.formatter.__class__.__name__ == "JsonFormatter"
    written = io.StringIO()
    stdout = handler.setStream(written)
    try:
        response = Client(raise_request_exception=False).get("/test/failing/", HTTP_X_REQUEST_ID="req-0123456789")
    finally:
        handler.setStream(stdout)
    assert response.status_code == 500 and response["X-Request-Id"] == "req-0123456789"
    page = response.content.decode()
    assert "req-0123456789" in page and "错误编号" in page
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["ERROR"] and lines[0]["logger"] == "django.request"
    assert lines[0]["request_id"] == "req-0123456789"
    assert "RuntimeError: the ledger is on fire" in lines[0]["exc_info"]


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_with_sentry_dsn_an_unhandled_error_reaches_sentry_without_cookies_query_or_body(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = tmp_path / "fail.py"
    script.write_text(
        "import django, sentry_sdk\n"
        "django.setup()\n"
        "from django.test import Client, override_settings\n"
        "with override_settings(ROOT_URLCONF='yunlou.core.tests.urls_failing', ALLOWED_HOSTS=['testserver']):\n"
        "    Client(raise_request_exception=False).post('/test/failing/?phone=13812345678',\n"
        "        {'id_number': '11010519491231002X'}, HTTP_COOKIE='sessionid=secret',\n"
        "        HTTP_X_REQUEST_ID='req-sentry-0001')\n"
        "sentry_sdk.flush(timeout=10)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "yunlou.settings", "PYTHONPATH": str(ROOT),
           "SENTRY_DSN": f"http://public@127.0.0.1:{server.server_port}/42", "DATABASE_URL": "sqlite://:memory:"}
    subprocess.run([sys.executable, str(script)], env=env, cwd=ROOT, check=True, capture_output=True, timeout=60)
    server.shutdown()
    envelope = b"\n".join(_Collector.received).decode()
    assert "the ledger is on fire" in envelope and "req-sentry-0001" in envelope
    assert "sessionid" not in envelope and "secret" not in envelope
    # the query string and the body carry customers' numbers: neither leaves
    assert "13812345678" not in envelope and "11010519491231002X" not in envelope
