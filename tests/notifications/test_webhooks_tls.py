"""HTTPS webhooks: connected to the address checked, yet verified against the URL's name.

The delivery resolves the name once and connects to that address (no DNS rebinding); over TLS it
must still send the name as SNI and check the certificate against the name, not the address. Two
real TLS receivers on 127.0.0.1 with certificates from a test CA: one for ``localhost`` (delivered,
signature verified), one for another name (refused by the certificate check, nothing received).
"""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook

from shared.contracts import referrals as rc
from shared.testing import eventually
from tests.notifications.conftest import Harness, Receiver, referral, serving

SENT = rc.ReferralSent.event_type


@dataclass
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, tmp: Path, dns_name: str) -> tuple[Path, Path]:
        """A server certificate for ``dns_name`` (and nothing else), as PEM files."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        cert_file, key_file = tmp / f"{dns_name}.crt", tmp / f"{dns_name}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_file, key_file


@pytest.fixture
def authority() -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hawkari test CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, cert)


def tls(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture
def receivers(authority: Authority, tmp_path: Path) -> Iterator[tuple[Receiver, Receiver]]:
    with (
        serving(tls(*authority.issue(tmp_path, "localhost"))) as right,
        serving(tls(*authority.issue(tmp_path, "partner.example"))) as wrong,
    ):
        yield right, wrong


async def test_https_delivery_pins_the_address_and_checks_the_certificate_against_the_name(
    harness: Harness, authority: Authority, receivers: tuple[Receiver, Receiver]
) -> None:
    right, wrong = receivers
    # The worker trusts the test CA as production trusts the public ones; nothing else changes.
    worker = harness.app.state.deliveries.webhooks
    await worker.http.aclose()
    worker.http = httpx.AsyncClient(
        verify=ssl.create_default_context(cadata=authority.pem().decode()),
        timeout=harness.settings.webhook_timeout_s,
        follow_redirects=False,
    )
    endpoints = {}
    for rec in (right, wrong):
        r = await harness.post("admin.rwanga", "/v1/webhooks", json={"url": rec.url, "event_types": [SENT]})
        assert r.status_code == 201, r.text
        endpoints[rec.url] = r.json()

    ref = uuid.uuid4()
    event = await harness.pub.publish(referral(rc.ReferralSent, ref, uuid.uuid4()), str(ref))

    async def both_tried() -> bool:
        tried = 0
        for endpoint in endpoints.values():
            log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoint['id']}/deliveries")).json()
            tried += bool(log and log[0]["log"])
        return tried == 2

    await eventually(both_tried)
    # The certificate for localhost: delivered over TLS to the address checked, Host kept.
    assert len(right.requests) == 1
    request = right.requests[0]
    assert request["headers"]["host"] == right.url.split("/")[2]
    secret = str(endpoints[right.url]["secret"])
    assert Webhook(secret).verify(request["body"], request["headers"]) == json.loads(event.to_json())
    log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoints[right.url]['id']}/deliveries")).json()
    assert log[0]["status"] == "succeeded" and log[0]["log"][0]["address"] == "127.0.0.1"
    # A certificate for another name at the same address: the check is against the URL's name, so the
    # connection is refused before anything is sent, and the delivery waits for a retry.
    assert wrong.requests == []
    log = (await harness.get("admin.rwanga", f"/v1/webhooks/{endpoints[wrong.url]['id']}/deliveries")).json()
    assert log[0]["status"] == "pending" and log[0]["last_error"] == "ConnectError"
