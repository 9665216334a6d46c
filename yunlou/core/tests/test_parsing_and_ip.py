import pytest
from django.test import RequestFactory

from yunlou.core.audit import client_ip
from yunlou.core.parsing import MAX_ID, positive_int


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12), (" 7 ", 7), ("0", None), ("-3", None), ("²", None), ("٣", None), ("1e3", None), ("", None),
    (None, None), ("9" * 5000, None), (str(MAX_ID + 1), None), ("12", 12),
])
def test_positive_int_reads_only_plain_ascii_numbers_in_range(value, expected):
    assert positive_int(value) == expected


def test_positive_int_respects_a_maximum():
    assert positive_int("200", maximum=199) is None


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="8.8.8.8")
    assert client_ip(request) == "10.1.1.1"


def test_behind_one_trusted_proxy_the_client_is_the_last_hop(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize("header", ["unknown", "", "999.1.1.1"])
def test_a_value_that_is_not_an_address_is_dropped(settings, header):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="x", HTTP_X_FORWARDED_FOR=header)) is None
