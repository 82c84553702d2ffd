"""Small rules of the portal that need no browser: redirects, token sealing, CSP, the vendor lock."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from services.portal import vendor
from services.portal.auth.deps import safe_return_path
from services.portal.crypto import TokenBox
from services.portal.middleware import content_security_policy


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/cases/1?x=2", "/cases/1?x=2"),
        ("/", "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("cases", "/"),
        ("/a\nb", "/"),
    ],
)
def test_login_returns_only_to_paths_of_this_site(value: str, expected: str) -> None:
    assert safe_return_path(value) == expected


def test_sealed_tokens_open_only_with_the_same_key_and_row() -> None:
    box = TokenBox("key-one")
    sealed = box.seal(b"access-token", "row-1")
    assert box.open(sealed, "row-1") == b"access-token"
    assert b"access-token" not in sealed
    assert box.open(sealed, "row-2") is None  # moved to another row
    assert TokenBox("key-two").open(sealed, "row-1") is None  # another key
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    assert box.open(tampered, "row-1") is None


def test_content_security_policy_allows_no_inline_code_nor_framing() -> None:
    csp = content_security_policy("https://sso.example.org/realms/hawkari")
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "form-action 'self' https://sso.example.org" in csp


def test_vendored_files_are_checked_against_the_lock() -> None:
    data = b"library"
    good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    vendor.verify(data, good)
    with pytest.raises(vendor.VendorError):
        vendor.verify(data + b"!", good)
    lock = json.loads(vendor.LOCK.read_text())["packages"]
    assert lock["htmx.org"]["integrity"].startswith("sha512-")
    assert all(spec["tarball"].startswith("https://registry.npmjs.org/") for spec in lock.values())
    vendor.require_vendored_assets()  # `make setup` fetched them; the portal refuses to start otherwise
