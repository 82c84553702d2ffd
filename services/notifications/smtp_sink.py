"""A local SMTP sink for development: every message received is kept in a Maildir to read.

    python -m services.notifications.smtp_sink --port 1025 --maildir .hawkari/mail

Read the messages with any Maildir reader (``mutt -f DIR``) or just open the files in ``DIR/new``.
Nothing is relayed anywhere. ``hawkari up`` starts it beside the notifications service.
"""

from __future__ import annotations

import argparse
import logging
import mailbox
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

logger = logging.getLogger("hawkari.smtp_sink")


class MaildirHandler:
    """aiosmtpd handler: stores each message (one copy per recipient) in a Maildir."""

    def __init__(self, maildir: Path) -> None:
        maildir.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=True)
        for sub in ("tmp", "new", "cur"):  # an existing, empty folder gets its Maildir layout too
            (maildir / sub).mkdir(exist_ok=True)
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else raw.encode()
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                copy = message_from_bytes(data, policy=policy.default)
                del copy["X-Hawkari-Rcpt"]
                copy["X-Hawkari-Rcpt"] = rcpt
                self.box.add(copy)
                self.messages.append(copy)  # type: ignore[arg-type]
        logger.info("stored a message for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start and stop the sink in a background thread (also used by the tests)."""

    def __init__(self, maildir: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.handler = MaildirHandler(maildir)
        self.controller = Controller(self.handler, hostname=host, port=port)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Hawkari's development SMTP sink (keeps mail in a Maildir).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path(".hawkari/mail"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sink = SmtpSink(args.maildir, args.host, args.port)
    sink.start()
    logger.info("SMTP sink on %s:%d, messages in %s", args.host, args.port, args.maildir.resolve())
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
