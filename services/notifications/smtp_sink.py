"""A local SMTP sink for development: every message received is kept in a Maildir to read.

    python -m services.notifications.smtp_sink --port 1025 --maildir .hawkari/mail

Read the messages with any Maildir reader (``mutt -f DIR``) or just open the files in ``DIR/new``.
Nothing is relayed anywhere. ``hawkari up`` starts it beside the notifications service.
"""

from __future__ import annotations

import argparse
import logging
import mailbox
import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

logger = logging.getLogger("hawkari.smtp_sink")


RCPT_HEADER = b"X-Hawkari-Rcpt"
# A header of that name the client sent (with its folded continuation lines), at the start of a line.
_CLIENT_RCPT = re.compile(rb"(?im)^" + RCPT_HEADER + rb":.*\n(?:[ \t].*\n)*")


class MaildirHandler:
    """aiosmtpd handler: stores each message (one copy per recipient) in a Maildir.

    A copy is the message as received, with the recipient in a header of its own in front; nothing
    parses it here (``SmtpSink.messages`` does, when read): parsing every message cost the sink more
    CPU than the notifications service spent sending it, on machines where both run. (No property
    here either: aiosmtpd inspects every member of its handler on each connection.)
    """

    def __init__(self, maildir: Path, *, keep: bool = True) -> None:
        self.keep = keep  # copies also kept in memory, for ``SmtpSink.messages``
        maildir.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(maildir, create=True)
        for sub in ("tmp", "new", "cur"):  # an existing, empty folder gets its Maildir layout too
            (maildir / sub).mkdir(exist_ok=True)
        self.stored: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = (raw if isinstance(raw, bytes) else raw.encode()).replace(b"\r\n", b"\n")
        head, blank, body = data.partition(b"\n\n")
        data = _CLIENT_RCPT.sub(b"", head + b"\n") + blank[1:] + body
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                copy = RCPT_HEADER + b": " + rcpt.encode() + b"\n" + data
                self.box.add(copy)
                if self.keep:
                    self.stored.append(copy)
        logger.info("stored a message for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start and stop the sink in a background thread (also used by the tests)."""

    def __init__(
        self, maildir: Path, host: str = "127.0.0.1", port: int = 1025, *, keep: bool = True
    ) -> None:
        self.handler = MaildirHandler(maildir, keep=keep)
        self.controller = Controller(self.handler, hostname=host, port=port)
        self._parsed: list[EmailMessage] = []

    @property
    def messages(self) -> list[EmailMessage]:
        """Every copy stored so far, parsed."""
        with self.handler.lock:
            for data in self.handler.stored[len(self._parsed) :]:
                message = message_from_bytes(data, policy=policy.default)
                assert isinstance(message, EmailMessage)
                self._parsed.append(message)
            return list(self._parsed)

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
    # Read from the Maildir: a long-running sink keeps nothing in memory.
    sink = SmtpSink(args.maildir, args.host, args.port, keep=False)
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
