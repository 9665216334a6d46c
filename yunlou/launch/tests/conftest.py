import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Messages are asserted in their English source wording, whatever the default language (zh-hans)."""
    with translation.override("en"):
        yield


# The payments app's sandbox, configured with this run's keys (deposits and pledges are paid through it).
from yunlou.payments.tests.conftest import live_wechatpay, sandbox_keys, wechatpay  # noqa: E402, F401
