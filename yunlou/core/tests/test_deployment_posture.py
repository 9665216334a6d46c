"""Deployment posture (issue 7, item 8): HTTPS behind a proxy from the environment, no caching of private
answers, a Content Security Policy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50), "FIELD_ENCRYPTION_KEY": "a-real-key-kept-in-a-vault",
    "SERVE_MEDIA": "0", "PUBLIC_BASE_URL": "https://yunqi.example.cn", "ALLOWED_HOSTS": "yunqi.example.cn",
    "HTTPS": "1", "TRUSTED_PROXY_HTTPS": "1", "TRUSTED_PROXY_COUNT": "1",
}


def check_deploy(extra: dict) -> subprocess.CompletedProcess:
    # the test process's own settings stay out: DEBUG, and the async switch the browser tests need
    env = {key: value for key, value in os.environ.items()
           if key not in PRODUCTION and key not in {"DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env={**env, **extra}, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_with_production_settings_from_the_environment():
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_still_refuses_the_demo_defaults():
    result = check_deploy({})
    assert result.returncode != 0 and "yunlou.E001" in result.stderr + result.stdout


PRINT_HTTPS_SETTINGS = """
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yunlou.settings")
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_REDIRECT_EXEMPT")}))
"""


def _settings_under(extra: dict) -> dict:
    import json

    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION and key != "DJANGO_DEBUG"}
    result = subprocess.run([sys.executable, "-c", PRINT_HTTPS_SETTINGS], cwd=ROOT, env={**env, **extra},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_production_environment_turns_on_https_behind_the_proxy():
    production = _settings_under(PRODUCTION)
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SECURE_SSL_REDIRECT"] is True and production["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    assert production["SECURE_HSTS_SECONDS"] == 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and production["SECURE_HSTS_PRELOAD"] is True
    assert production["SESSION_COOKIE_SECURE"] is True and production["CSRF_COOKIE_SECURE"] is True
    # without TRUSTED_PROXY_HTTPS the header anyone can send is not believed
    untrusted = _settings_under({**PRODUCTION, "TRUSTED_PROXY_HTTPS": "0"})
    assert untrusted["SECURE_PROXY_SSL_HEADER"] is None and untrusted["SECURE_SSL_REDIRECT"] is True


def test_behind_the_proxy_http_is_sent_to_https_and_answers_carry_hsts(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert client.get("/").status_code == 301
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200 and "max-age=31536000" in response["Strict-Transport-Security"]
    assert client.get("/healthz").status_code == 200  # the load balancer's plain-http health check


@pytest.mark.parametrize("path", ["/m/", "/m/customers/", "/staff/", "/staff/overview/", "/api/v1/projects"])
def test_what_a_logged_in_user_is_shown_is_never_stored_by_a_cache(client, consultant, path):
    client.force_login(consultant.user)
    response = client.get(path)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_a_posted_consultation_is_not_stored_but_the_public_pages_may_be(client, showroom):
    response = client.post(f"/p/{showroom.pk}/consult/", {"name": "李女士", "phone": "13812345678", "code": "1"})
    assert "no-store" in response["Cache-Control"]
    assert "no-store" not in client.get(f"/p/{showroom.pk}/").get("Cache-Control", "")


def test_every_page_carries_a_content_security_policy_without_inline_scripts(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'self'"


@pytest.fixture
def showroom(project, plans, building, consultant):
    return project
