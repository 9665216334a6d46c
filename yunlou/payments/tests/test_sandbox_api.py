"""The sandbox gateway checks a merchant's signature as WeChat Pay does, and signs what it answers."""

import json
import time

import pytest

from yunlou.payments import wechatpay_protocol as protocol

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yunlou.payments.tests.urls")]

PATH = "/v3/pay/transactions/h5"


def order(config):
    return json.dumps({"appid": config.appid, "mchid": config.mchid, "description": "定金", "out_trade_no": "YL1",
                       "notify_url": config.notify_url, "amount": {"total": 100, "currency": "CNY"}})


def call(client, config, body, *, key=None, timestamp=None):
    authorization = protocol.authorization_build(
        method="POST", path=PATH, body=body, mchid=config.mchid, serial_no=config.merchant_serial_no,
        private_key_pem=key or config.merchant_private_key, timestamp=timestamp)
    return client.post(f"/pay/sandbox{PATH}", data=body, content_type="application/json",
                       headers={"Authorization": authorization})


def test_a_signed_request_opens_a_trade_and_the_answer_carries_the_platform_signature(client, wechatpay):
    response = call(client, wechatpay, order(wechatpay))
    assert response.status_code == 200 and "/pay/sandbox/checkout/" in response.json()["h5_url"]
    protocol.platform_verify(headers=dict(response.headers), body=response.content.decode(),
                             public_keys=wechatpay.platform_public_keys)


def test_a_request_signed_with_another_key_is_refused(client, wechatpay):
    response = call(client, wechatpay, order(wechatpay), key=protocol.rsa_private_key_generate())
    assert response.status_code == 401 and response.json()["code"] == "SIGN_ERROR"


def test_a_request_signed_over_another_body_is_refused(client, wechatpay):
    body = order(wechatpay)
    authorization = protocol.authorization_build(method="POST", path=PATH, body=body, mchid=wechatpay.mchid,
                                                 serial_no=wechatpay.merchant_serial_no,
                                                 private_key_pem=wechatpay.merchant_private_key)
    response = client.post(f"/pay/sandbox{PATH}", data=body.replace("100", "1"), content_type="application/json",
                           headers={"Authorization": authorization})
    assert response.status_code == 401


def test_a_request_older_than_five_minutes_is_refused(client, wechatpay):
    response = call(client, wechatpay, order(wechatpay), timestamp=int(time.time()) - 301)
    assert response.status_code == 401


def test_the_sdk_still_keeps_its_gateway_address_where_we_point_it():
    """SandboxWechatGateway relies on wechatpayv3's Core reading `_gate_way` on each request."""
    import inspect

    from wechatpayv3.core import Core

    assert "self._gate_way + path" in inspect.getsource(Core.request)


def test_an_encrypted_resource_decrypts_only_with_its_key_and_associated_data(wechatpay):
    resource = protocol.resource_encrypt(apiv3_key=wechatpay.apiv3_key, payload={"a": "云"}, original_type="t",
                                         associated_data="transaction")
    assert protocol.resource_decrypt(apiv3_key=wechatpay.apiv3_key, resource=resource) == {"a": "云"}
    with pytest.raises(protocol.BadCiphertext):
        protocol.resource_decrypt(apiv3_key=protocol.apiv3_key_generate(), resource=resource)
    with pytest.raises(protocol.BadCiphertext):
        protocol.resource_decrypt(apiv3_key=wechatpay.apiv3_key, resource={**resource, "associated_data": "refund"})


def test_without_configured_keys_the_demo_generates_them_once_and_keeps_them_out_of_the_repository(db, monkeypatch):
    from yunlou.payments.config import wechatpay_config
    from yunlou.payments.models import SandboxKeyring

    for name in ("PAYMENT_WECHAT_MERCHANT_PRIVATE_KEY", "PAYMENT_WECHAT_PLATFORM_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    first, second = wechatpay_config(), wechatpay_config()
    assert SandboxKeyring.objects.count() == 1
    assert first.merchant_private_key == second.merchant_private_key
    assert len(first.apiv3_key) == 32 and first.platform_public_key_id.startswith("PUB_KEY_ID_")
