"""The IdP's RS256 signing key: made once, kept in a file, so tokens stay valid across restarts."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from joserfc.jwk import RSAKey


def load_or_create_signing_key(path: Path) -> RSAKey:
    """The private key stored at ``path``; a new 2048-bit key is generated there when it is missing."""
    if path.exists():
        return _load(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True)
    # Write under a temporary name, then link it into place: link() fails if another process won
    # the race, and nobody ever reads a half-written key.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(key.as_dict(private=True), out)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _load(path)
    finally:
        temporary.unlink()
    return key


def _load(path: Path) -> RSAKey:
    data = json.loads(path.read_text(encoding="utf-8"))
    key = RSAKey.import_key(data)
    if not key.is_private or not key.kid:
        raise ValueError(f"{path} does not hold a private RSA key with a kid")
    return key


def public_jwk(key: RSAKey) -> dict[str, str]:
    """The key as the realm's certs endpoint lists it (Keycloak adds x5c; clients do not need it)."""
    jwk = {k: str(v) for k, v in key.as_dict(private=False).items()}
    return {**jwk, "use": "sig", "alg": "RS256"}
