"""Encryption at rest for phone and ID numbers, and the keyed hash ("blind index") that finds them.

Fernet tokens are randomised, so equal numbers never produce equal ciphertext; lookups go through
an HMAC of the normalised value under a key derived from FIELD_ENCRYPTION_KEY, never SECRET_KEY.
FIELD_ENCRYPTION_KEY may hold several comma-separated keys: the first encrypts, all decrypt
(key rotation). The blind index always uses the first key.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet_key(secret: str) -> bytes:
    # Accept a real Fernet key as is; derive one from any other passphrase.
    try:
        if len(base64.urlsafe_b64decode(secret.encode())) == 32:
            return secret.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"yunlou-fernet:" + secret.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k.strip())) for k in keys.split(",") if k.strip()])


@lru_cache(maxsize=4)
def _index_key(keys: str) -> bytes:
    first = keys.split(",")[0].strip()
    return hashlib.sha256(b"yunlou-blind-index:" + first.encode()).digest()


def encrypt(plaintext: str) -> str:
    return _cipher(settings.FIELD_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("ciphertext cannot be decrypted with the configured FIELD_ENCRYPTION_KEY") from exc


def blind_index(value: str, *, purpose: str = "phone") -> str:
    """A stable keyed hash of a normalised value, for equality lookups on encrypted columns."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(_index_key(settings.FIELD_ENCRYPTION_KEY), message, hashlib.sha256).hexdigest()
