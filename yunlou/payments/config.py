"""WeChat Pay settings, from Django settings or the environment (PAYMENT_*).

    PAYMENT_WECHAT_MCHID                   merchant id (商户号); demo default 1900000001
    PAYMENT_WECHAT_APPID                   app id; demo default wx0000000000sandbox
    PAYMENT_WECHAT_MERCHANT_PRIVATE_KEY    merchant API key, PKCS#8 PEM (apiclient_key.pem)
    PAYMENT_WECHAT_MERCHANT_SERIAL_NO      serial number of the merchant certificate
    PAYMENT_WECHAT_APIV3_KEY               the 32-character APIv3 key (decrypts notifications)
    PAYMENT_WECHAT_PLATFORM_PUBLIC_KEY     WeChat Pay's public key, PEM (微信支付公钥)
    PAYMENT_WECHAT_PLATFORM_PUBLIC_KEY_ID  its id (PUB_KEY_ID_…), sent as Wechatpay-Serial
    PAYMENT_WECHAT_PLATFORM_PRIVATE_KEY    sandbox only: the key the sandbox signs with
    PAYMENT_WECHAT_BASE_URL                the gateway; default {PUBLIC_BASE_URL}/pay/sandbox (the sandbox)
    PAYMENT_NOTIFY_BASE_URL                where the gateway reaches us; default PUBLIC_BASE_URL
    PAYMENT_SANDBOX_ENABLED                serve the sandbox gateway (default: on unless real keys are set)

With none of the keys set (the demo), the sandbox's keys are generated on first use and kept in the database
(SandboxKeyring), never in the repository.
"""

import os
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db import IntegrityError, transaction

from yunlou.payments import wechatpay_protocol as protocol

DEMO_MCHID = "1900000001"
DEMO_APPID = "wx0000000000sandbox"


def _setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


@dataclass(frozen=True)
class WechatPayConfig:
    mchid: str
    appid: str
    merchant_private_key: str
    merchant_serial_no: str
    apiv3_key: str
    platform_public_key: str
    platform_public_key_id: str
    platform_private_key: str  # only the sandbox has it
    base_url: str
    notify_base_url: str

    @cached_property
    def merchant_public_key(self) -> str:
        """The sandbox checks the merchant's requests with it (WeChat Pay knows it from the merchant certificate)."""
        return protocol.rsa_public_key_pem(self.merchant_private_key)

    @property
    def notify_url(self) -> str:
        return f"{self.notify_base_url.rstrip('/')}/pay/notify/wechat/"

    @property
    def platform_public_keys(self) -> dict[str, str]:
        return {self.platform_public_key_id: self.platform_public_key}


def wechatpay_config() -> WechatPayConfig:
    public_base_url = settings.PUBLIC_BASE_URL.rstrip("/")
    merchant_private_key = _setting("PAYMENT_WECHAT_MERCHANT_PRIVATE_KEY")
    if merchant_private_key:
        platform_private_key = _setting("PAYMENT_WECHAT_PLATFORM_PRIVATE_KEY")
        keys = {
            "merchant_private_key": merchant_private_key,
            "merchant_serial_no": _setting("PAYMENT_WECHAT_MERCHANT_SERIAL_NO"),
            "apiv3_key": _setting("PAYMENT_WECHAT_APIV3_KEY"),
            "platform_public_key": _setting("PAYMENT_WECHAT_PLATFORM_PUBLIC_KEY")
            or (protocol.rsa_public_key_pem(platform_private_key) if platform_private_key else ""),
            "platform_public_key_id": _setting("PAYMENT_WECHAT_PLATFORM_PUBLIC_KEY_ID"),
            "platform_private_key": platform_private_key,
        }
    else:
        keyring = sandbox_keyring()
        keys = {
            "merchant_private_key": keyring.merchant_private_key,
            "merchant_serial_no": keyring.merchant_serial_no,
            "apiv3_key": keyring.apiv3_key,
            "platform_public_key": protocol.rsa_public_key_pem(keyring.platform_private_key),
            "platform_public_key_id": keyring.platform_public_key_id,
            "platform_private_key": keyring.platform_private_key,
        }
    return WechatPayConfig(
        mchid=_setting("PAYMENT_WECHAT_MCHID", DEMO_MCHID),
        appid=_setting("PAYMENT_WECHAT_APPID", DEMO_APPID),
        base_url=_setting("PAYMENT_WECHAT_BASE_URL") or f"{public_base_url}/pay/sandbox",
        notify_base_url=_setting("PAYMENT_NOTIFY_BASE_URL") or public_base_url,
        **keys,
    )


def sandbox_enabled() -> bool:
    flag = _setting("PAYMENT_SANDBOX_ENABLED")
    if flag:
        return flag.lower() in {"1", "true", "yes", "on"}
    return not _setting("PAYMENT_WECHAT_MERCHANT_PRIVATE_KEY") or bool(_setting("PAYMENT_WECHAT_PLATFORM_PRIVATE_KEY"))


def sandbox_keys_generate() -> dict[str, str]:
    return {
        "merchant_private_key": protocol.rsa_private_key_generate(),
        "merchant_serial_no": protocol.nonce_generate(40),
        "platform_private_key": protocol.rsa_private_key_generate(),
        "platform_public_key_id": f"PUB_KEY_ID_{protocol.nonce_generate(24)}",
        "apiv3_key": protocol.apiv3_key_generate(),
    }


def sandbox_keyring():
    from yunlou.payments.models import SandboxKeyring

    keyring = SandboxKeyring.objects.filter(pk=1).first()
    if keyring is None:
        # Two processes may both find none: the primary key lets one row win and both use it.
        try:
            with transaction.atomic():
                keyring = SandboxKeyring.objects.create(pk=1, **sandbox_keys_generate())
        except IntegrityError:
            keyring = SandboxKeyring.objects.get(pk=1)
    return keyring
