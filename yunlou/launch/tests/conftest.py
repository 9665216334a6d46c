import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _messages_in_english(settings):
    """Messages are asserted in their English source wording: the services' own (translation.override) and the
    pages' (English as the default language, which the Chinese-first middleware falls back to)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# The payments app's sandbox, configured with this run's keys (deposits and pledges are paid through it).
from yunlou.payments.tests.conftest import live_wechatpay, sandbox_keys, wechatpay  # noqa: E402, F401
