"""WeChat Pay API v3's message security, written once for both sides of the wire.

The merchant (our payments app) and the sandbox gateway (our stand-in for WeChat Pay) use the same algorithms,
so they share this module; only the keys differ:

- A request is signed by the merchant: RSA-SHA256 (PKCS#1 v1.5) over "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n",
  sent as `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",
  serial_no="…"`.
- A response or a notification is signed by the platform: RSA-SHA256 over "TIMESTAMP\\nNONCE\\nBODY\\n", sent in
  the headers Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature and Wechatpay-Serial (which key signed).
- A notification's `resource` is encrypted with AEAD_AES_256_GCM under the merchant's 32-byte APIv3 key, with a
  12-character nonce and an associated-data string, the ciphertext (with its 16-byte tag) in base64.

Every check raises a `ProtocolError` subclass naming what failed, so the caller can answer 401 for a forged
or stale message and 400 for a malformed one.
"""

import base64
import json
import re
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
# WeChat Pay refuses a request whose timestamp is more than five minutes off, and asks merchants to do the
# same with notifications: a captured message cannot be replayed later than that, and within it the nonce is
# remembered.
TIMESTAMP_WINDOW_SECONDS = 5 * 60
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
_NONCE_ALPHABET = string.ascii_uppercase + string.digits


class ProtocolError(Exception):
    code = "FAIL"
    status = 400


class BadSignature(ProtocolError):
    code = "SIGN_ERROR"
    status = 401


class StaleTimestamp(ProtocolError):
    code = "SIGN_ERROR"
    status = 401


class BadCiphertext(ProtocolError):
    code = "FAIL"
    status = 400


class MalformedMessage(ProtocolError):
    code = "PARAM_ERROR"
    status = 400


# --- keys ---

def rsa_private_key_generate() -> str:
    """A new RSA-2048 private key in PKCS#8 PEM (what WeChat Pay's merchant tool produces)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def rsa_public_key_pem(private_key_pem: str) -> str:
    return _private_key(private_key_pem).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def apiv3_key_generate() -> str:
    """The APIv3 key is 32 printable characters, used as the AES-256 key's bytes."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def nonce_generate(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


@lru_cache(maxsize=16)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


@lru_cache(maxsize=16)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


# --- signatures ---

def rsa_sign(private_key_pem: str, message: str) -> str:
    signature = _private_key(private_key_pem).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(public_key_pem: str, message: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        _public_key(public_key_pem).verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def request_message(method: str, path: str, timestamp: str, nonce: str, body: str) -> str:
    """What the merchant signs: `path` is the URL path with its query string, as WeChat Pay sees it."""
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{body}\n"


def platform_message(timestamp: str, nonce: str, body: str) -> str:
    """What the platform signs in a response or a notification."""
    return f"{timestamp}\n{nonce}\n{body}\n"


@dataclass(frozen=True)
class Authorization:
    mchid: str
    nonce: str
    signature: str
    timestamp: str
    serial_no: str


_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


def authorization_build(*, method: str, path: str, body: str, mchid: str, serial_no: str, private_key_pem: str,
                        timestamp: int | None = None, nonce: str | None = None) -> str:
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or nonce_generate()
    signature = rsa_sign(private_key_pem, request_message(method, path, timestamp_text, nonce, body))
    return (f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp_text}",serial_no="{serial_no}"')


def authorization_parse(header: str) -> Authorization:
    schema, _, rest = (header or "").strip().partition(" ")
    if schema != SCHEMA:
        raise BadSignature(f"Authorization must use {SCHEMA}")
    fields = dict(_AUTH_FIELD.findall(rest))
    try:
        return Authorization(mchid=fields["mchid"], nonce=fields["nonce_str"], signature=fields["signature"],
                             timestamp=fields["timestamp"], serial_no=fields["serial_no"])
    except KeyError as missing:
        raise BadSignature(f"Authorization lacks {missing.args[0]}") from None


def timestamp_check(timestamp: str, *, now: float | None = None) -> None:
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        raise StaleTimestamp("timestamp is not a number") from None
    if abs((time.time() if now is None else now) - moment) > TIMESTAMP_WINDOW_SECONDS:
        raise StaleTimestamp("timestamp is outside the five-minute window")


def request_verify(*, authorization: str, method: str, path: str, body: str, public_key_pem: str,
                   now: float | None = None) -> Authorization:
    """The sandbox checks a merchant's request: schema, freshness, then the signature."""
    parsed = authorization_parse(authorization)
    timestamp_check(parsed.timestamp, now=now)
    if not rsa_verify(public_key_pem, request_message(method, path, parsed.timestamp, parsed.nonce, body),
                      parsed.signature):
        raise BadSignature("request signature does not verify")
    return parsed


def platform_headers(*, body: str, private_key_pem: str, serial: str, timestamp: int | None = None,
                     nonce: str | None = None) -> dict[str, str]:
    """The headers with which the platform signs a response or a notification body."""
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or nonce_generate()
    return {
        "Wechatpay-Timestamp": timestamp_text,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": rsa_sign(private_key_pem, platform_message(timestamp_text, nonce, body)),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": SCHEMA,
    }


@dataclass(frozen=True)
class SignedHeaders:
    timestamp: str
    nonce: str
    signature: str
    serial: str


def platform_headers_read(headers: Mapping[str, str]) -> SignedHeaders:
    lower = {key.lower(): value for key, value in headers.items()}
    values = [lower.get(f"wechatpay-{name}", "") for name in ("timestamp", "nonce", "signature", "serial")]
    if not all(values):
        raise BadSignature("Wechatpay-Timestamp, -Nonce, -Signature and -Serial are all required")
    signature_type = lower.get("wechatpay-signature-type", SCHEMA)
    if signature_type != SCHEMA:
        raise BadSignature(f"unsupported signature type {signature_type}")
    return SignedHeaders(*values)


def platform_verify(*, headers: Mapping[str, str], body: str, public_keys: Mapping[str, str],
                    now: float | None = None) -> SignedHeaders:
    """The merchant checks what the platform sent: known key (by serial), freshness, then the signature."""
    signed = platform_headers_read(headers)
    public_key_pem = public_keys.get(signed.serial)
    if public_key_pem is None:
        raise BadSignature(f"unknown platform key {signed.serial}")
    timestamp_check(signed.timestamp, now=now)
    if not rsa_verify(public_key_pem, platform_message(signed.timestamp, signed.nonce, body), signed.signature):
        raise BadSignature("notification signature does not verify")
    return signed


# --- encrypted resources ---

def _aes_key(apiv3_key: str) -> AESGCM:
    key = apiv3_key.encode()
    if len(key) != 32:
        raise ValueError("the APIv3 key must be 32 bytes")
    return AESGCM(key)


def resource_encrypt(*, apiv3_key: str, payload: dict, original_type: str, associated_data: str) -> dict:
    nonce = nonce_generate(12)
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    ciphertext = _aes_key(apiv3_key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return {"original_type": original_type, "algorithm": AEAD_ALGORITHM, "ciphertext": base64.b64encode(
        ciphertext).decode(), "associated_data": associated_data, "nonce": nonce}


def resource_decrypt(*, apiv3_key: str, resource: Mapping) -> dict:
    if not isinstance(resource, Mapping) or resource.get("algorithm") != AEAD_ALGORITHM:
        raise MalformedMessage(f"resource must be encrypted with {AEAD_ALGORITHM}")
    try:
        ciphertext = base64.b64decode(resource["ciphertext"], validate=True)
        nonce = str(resource["nonce"]).encode()
        associated_data = str(resource.get("associated_data") or "").encode()
    except (KeyError, ValueError, TypeError):
        raise MalformedMessage("resource lacks ciphertext or nonce") from None
    try:
        plaintext = _aes_key(apiv3_key).decrypt(nonce, ciphertext, associated_data)
    except (InvalidTag, ValueError):
        raise BadCiphertext("resource does not decrypt: tampered, or another APIv3 key") from None
    try:
        payload = json.loads(plaintext)
    except ValueError:
        raise MalformedMessage("resource is not JSON") from None
    if not isinstance(payload, dict):
        raise MalformedMessage("resource is not a JSON object")
    return payload


def notification_body(*, event_id: str, event_type: str, summary: str, resource: dict, create_time: str) -> str:
    """A notification's JSON body, as the platform sends and signs it (ASCII-escaped, so bytes == text)."""
    return json.dumps({"id": event_id, "create_time": create_time, "resource_type": "encrypt-resource",
                       "event_type": event_type, "summary": summary, "resource": resource})
