"""Envelope encryption: a random data key per case (AES-256-GCM), wrapped by the master key.

The master key comes from settings as a secret string; the AES key is derived from it with HKDF so
any sufficiently long secret works. Each wrapped data key records the id of the master key that
wrapped it, so the master key can be rotated: old keys stay configured (``previous_master_keys``)
until every data key has been re-wrapped. Associated data binds each ciphertext to its case and
purpose, so a ciphertext moved to another row or case does not decrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class KeyUnavailable(Exception):
    """The data key is destroyed (the case was erased) or its master key is not configured."""


class MasterKeyMismatch(KeyUnavailable):
    """A stored data key does not unwrap: its master key is missing from, or wrong in, the settings."""

    def __init__(self, key_id: str, configured: bool) -> None:
        self.key_id, self.configured = key_id, configured
        super().__init__(
            f"master key {key_id!r} does not unwrap the data key"
            if configured
            else f"master key {key_id!r} is not configured"
        )


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


@dataclass(frozen=True)
class MasterKeys:
    current_id: str
    keys: dict[str, bytes]  # id -> 32-byte AES key

    @classmethod
    def from_secrets(cls, current_id: str, current: str, previous: dict[str, str]) -> MasterKeys:
        keys = {kid: _derive(secret, b"hawkari-referrals-master-key") for kid, secret in previous.items()}
        keys[current_id] = _derive(current, b"hawkari-referrals-master-key")
        return cls(current_id, keys)

    def wrap(self, data_key: bytes, case_id: uuid.UUID) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, data_key, b"case-key:" + case_id.bytes)
        return self.current_id, nonce + sealed

    def unwrap(self, key_id: str, wrapped: bytes, case_id: uuid.UUID) -> bytes:
        master = self.keys.get(key_id)
        if master is None:
            raise MasterKeyMismatch(key_id, configured=False)
        try:
            return AESGCM(master).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"case-key:" + case_id.bytes
            )
        except InvalidTag as exc:
            raise MasterKeyMismatch(key_id, configured=True) from exc


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def open_sealed(data_key: bytes, blob: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise KeyUnavailable("the ciphertext does not decrypt with this key") from exc


def keyed_hash(secret: str, value: str) -> str:
    """HMAC-SHA256 of a normalised identifier, hex: comparable, never reversible without the secret."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
