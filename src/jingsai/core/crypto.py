"""Encryption of personal data at rest, and keyed lookup digests ("blind indexes").

Identity numbers and phones are stored encrypted (AES-256-GCM) together with an HMAC of
the normalized value, so that a database dump alone does not reveal them while equality
lookups (one person per identity number, login by phone) stay single indexed queries.
Both keys derive from settings.DATA_KEY, which lives outside the database.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "v1:"


def _derive(master, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@lru_cache(maxsize=4)
def _keys(master_text):
    master = master_text.encode()
    return (
        AESGCM(_derive(master, b"jingsai field encryption v1")),
        _derive(master, b"jingsai blind index v1"),
    )


def encrypt(plaintext):
    """Text -> 'v1:' + base64(nonce || ciphertext || tag)."""
    if plaintext is None or plaintext == "":
        return ""
    aead, _ = _keys(settings.DATA_KEY)
    nonce = os.urandom(12)
    blob = nonce + aead.encrypt(nonce, plaintext.encode(), None)
    return PREFIX + base64.b64encode(blob).decode()


def decrypt(token):
    if not token:
        return ""
    if not token.startswith(PREFIX):
        raise ValueError("unknown encryption format")
    aead, _ = _keys(settings.DATA_KEY)
    blob = base64.b64decode(token[len(PREFIX) :])
    return aead.decrypt(blob[:12], blob[12:], None).decode()


def digest(value, purpose):
    """Keyed, deterministic digest for equality lookups; `purpose` separates domains so
    the same text in two roles never gives the same digest."""
    if not value:
        return None
    _, key = _keys(settings.DATA_KEY)
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
