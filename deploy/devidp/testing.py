"""A real development IdP server for tests: ``with running_idp(tmp_path) as base_url: ...``.

The server is uvicorn in a background thread on 127.0.0.1, on a socket bound before the app is
built (so the issuer knows its port and no other process can take it in between). It stops when
the ``with`` block ends. The signing key lives at ``tmp_path / KEY_FILE_NAME``: a test may read it
to sign tokens "as the IdP", and a second server on the same ``tmp_path`` serves the same key.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from deploy.devidp.app import create_app
from deploy.devidp.settings import IdpSettings
from shared.settings import Environment

KEY_FILE_NAME = "signing-key.json"
REALM = "hawkari"


def issuer_of(base_url: str) -> str:
    return f"{base_url}/realms/{REALM}"


@contextmanager
def running_idp(tmp_path: Path, port: int | None = None, **overrides: Any) -> Iterator[str]:
    """Run the IdP until the block ends; yields its base URL, e.g. ``http://127.0.0.1:53121``.

    ``port`` reuses a known port (to restart "the same" IdP); ``overrides`` are IdpSettings fields.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port or 0))
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        fields: dict[str, Any] = {
            "environment": Environment.test,
            "public_url": base_url,
            "port": sock.getsockname()[1],
            "key_file": tmp_path / KEY_FILE_NAME,
            **overrides,
        }
        app = create_app(IdpSettings(**fields))
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="devidp", daemon=True)
        thread.start()
        _wait_until_started(server, thread)
        try:
            yield base_url
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the development IdP stopped while starting; see the log above")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the development IdP did not start within {timeout} s")
        time.sleep(0.01)


async def password_token(base_url: str, username: str, password: str = "hawkari-demo") -> str:  # noqa: S107 - the documented demo password
    """An access token for a demo user, from the password grant of the development CLI client."""
    import httpx

    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{issuer_of(base_url)}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "hawkari-cli",
                "username": username,
                "password": password,
            },
        )
    response.raise_for_status()
    return str(response.json()["access_token"])
