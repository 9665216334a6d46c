import pytest

from yunlou.payments import wechatpay_protocol as protocol
from yunlou.payments.config import sandbox_keys_generate, wechatpay_config
from yunlou.payments.handlers import payment_handlers


@pytest.fixture(scope="session")
def sandbox_keys():
    """Keys generated for this test run only (RSA generation is slow: once per session)."""
    return sandbox_keys_generate()


def _configure(settings, keys, base_url):
    settings.PAYMENT_WECHAT_MCHID = "1900000109"
    settings.PAYMENT_WECHAT_APPID = "wxtest00000000001"
    settings.PAYMENT_WECHAT_MERCHANT_PRIVATE_KEY = keys["merchant_private_key"]
    settings.PAYMENT_WECHAT_MERCHANT_SERIAL_NO = keys["merchant_serial_no"]
    settings.PAYMENT_WECHAT_APIV3_KEY = keys["apiv3_key"]
    settings.PAYMENT_WECHAT_PLATFORM_PRIVATE_KEY = keys["platform_private_key"]
    settings.PAYMENT_WECHAT_PLATFORM_PUBLIC_KEY = protocol.rsa_public_key_pem(keys["platform_private_key"])
    settings.PAYMENT_WECHAT_PLATFORM_PUBLIC_KEY_ID = keys["platform_public_key_id"]
    settings.PAYMENT_WECHAT_BASE_URL = f"{base_url}/pay/sandbox"
    settings.PAYMENT_NOTIFY_BASE_URL = base_url
    settings.PAYMENT_SANDBOX_ENABLED = "1"
    return wechatpay_config()


@pytest.fixture
def wechatpay(settings, sandbox_keys):
    """The merchant and the sandbox configured with this run's keys; nothing listens at the URLs."""
    return _configure(settings, sandbox_keys, "http://testserver")


@pytest.fixture
def live_wechatpay(settings, sandbox_keys, live_server):
    """The merchant talks to the sandbox, and the sandbox calls the merchant back, over real HTTP."""
    return _configure(settings, sandbox_keys, live_server.url)


@pytest.fixture
def organization(db):
    from yunlou.accounts.tests.factories import OrganizationFactory

    return OrganizationFactory()


@pytest.fixture
def handled():
    """A handler for "deal:" references that records what it heard; `refuse` makes it refuse."""
    calls = []
    state = {"refuse": ""}

    def order_payment_received(payment):
        from yunlou.payments.handlers import PaymentRefused

        calls.append((payment.reference, payment.amount_fen, payment.status))
        if state["refuse"]:
            raise PaymentRefused(state["refuse"])

    # "deal:" stands for what the real apps register ("order:", "pledge:"), which these tests leave alone.
    payment_handlers.register("deal", order_payment_received)
    yield type("Handled", (), {"calls": calls, "state": state})
    payment_handlers.unregister("deal")
