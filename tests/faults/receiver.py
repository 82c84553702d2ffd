"""A partner's webhook receiver: a real HTTP server on a fixed loopback port that can go away.

It verifies each delivery with the ``standardwebhooks`` library (as a partner would), and keeps
every delivery it acknowledged: the ``webhook-id`` (the event id), the event type and subject.
``stop()`` closes the socket, so the sender sees connection refused until ``start()`` again.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from shared.processes import free_port
from tests.faults.stack import hold_port


@dataclass
class Delivery:
    webhook_id: str
    event_type: str
    subject: str
    at: float  # wall clock, to hold against the moments of crashes


@dataclass
class WebhookReceiver:
    port: int = field(default_factory=free_port)
    secret: str | None = None
    received: list[Delivery] = field(default_factory=list)
    bad_signatures: int = 0
    _server: ThreadingHTTPServer | None = None
    _hold: socket.socket | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hawkari/events"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = receiver.accept(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        if self._hold is not None:
            self._hold.close()
            self._hold = None
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="webhook-receiver").start()

    def stop(self, hold: bool = False) -> None:
        """Close the server; with ``hold``, keep its port from other programs until ``start``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if hold:
            self._hold = hold_port(self.port)

    def accept(self, body: bytes, headers: dict[str, str]) -> int:
        if self.secret is None:
            return 503  # not registered yet
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:
            with self._lock:
                self.bad_signatures += 1
            return 400
        event = json.loads(body)
        with self._lock:
            self.received.append(
                Delivery(headers["webhook-id"], event["type"], event.get("subject", ""), time.time())
            )
        return 204
