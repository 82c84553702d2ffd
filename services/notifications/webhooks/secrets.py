"""Endpoint signing secrets: Standard Webhooks ``whsec_`` secrets, encrypted at rest with Fernet."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet
from pydantic import SecretStr


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _fernet(key: SecretStr) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.get_secret_value().encode()).digest()))


def encrypt(key: SecretStr, secret: str) -> str:
    return _fernet(key).encrypt(secret.encode()).decode()


def decrypt(key: SecretStr, token: str) -> str:
    return _fernet(key).decrypt(token.encode()).decode()
