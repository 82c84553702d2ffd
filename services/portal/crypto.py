"""Encryption at rest for what a session holds (the user's tokens, the PKCE verifier).

AES-GCM with a key derived from ``token_key`` by HKDF; the row's id is the associated data, so a
ciphertext copied into another row does not decrypt. A leaked database alone gives no usable token.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"


class TokenBox:
    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hawkari-portal-tokens").derive(
            secret.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, row_id: str) -> bytes:
        nonce = os.urandom(12)
        return VERSION + nonce + self._aead.encrypt(nonce, plaintext, row_id.encode())

    def open(self, sealed: bytes, row_id: str) -> bytes | None:
        """The plaintext, or None when the ciphertext is not ours (other key, other row, tampered)."""
        if len(sealed) < 29 or sealed[:1] != VERSION:
            return None
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], row_id.encode())
        except InvalidTag:
            return None
