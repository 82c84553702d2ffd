"""SMTP with aiosmtplib: plain text and HTML alternatives, to the relay named in settings.

Messages are built with the standard library's ``email.mime`` classes (the compat32 policy) and
sent as bytes: building with ``EmailMessage`` and the default policy cost ~4× the CPU, which at a
hundred referrals a second was the largest single cost of the service after the database. Of
what remained, most went to folding headers that need no folding and to drawing a random boundary
(a regular expression compiled per message); ``_Compat32`` and the delivery's own boundary skip both.
"""

from __future__ import annotations

import uuid
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formatdate, parseaddr

import aiosmtplib

from services.notifications.settings import NotificationsSettings


class _Compat32(Compat32):
    """compat32, writing a short single-line ASCII header as it stands: what the folding would
    produce for it anyway, without building a ``Header`` per header and part."""

    def fold_binary(self, name: str, value: str) -> bytes:
        limit = self.max_line_length or 0
        if (
            isinstance(value, str)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
            and (not limit or len(name) + 2 + len(value) <= limit)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _Compat32()


def build(
    settings: NotificationsSettings,
    to: str,
    subject: str,
    text: str,
    html: str,
    language: str,
    delivery_id: uuid.UUID,
) -> bytes:
    # Both bodies are base64, which has no "-", so no delimiter line ("--" + boundary) can occur in
    # them: the delivery's id serves as the boundary, as it does for the Message-ID.
    msg = MIMEMultipart("alternative", boundary=f"=_{delivery_id.hex}")
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8").encode()
    msg["Date"] = formatdate(usegmt=True)
    # One Message-ID per delivery, not per attempt: a resend after a crash between sending and
    # recording is then the same message, which mail systems and clients drop as a duplicate.
    msg["Message-ID"] = f"<{delivery_id}@{_domain(settings)}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = language
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    return msg.as_bytes(policy=_POLICY)


def _domain(settings: NotificationsSettings) -> str:
    return envelope_sender(settings).rpartition("@")[2] or "hawkari.local"


def envelope_sender(settings: NotificationsSettings) -> str:
    return parseaddr(settings.mail_from)[1]


def client(settings: NotificationsSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls",
        timeout=settings.smtp_timeout_s,
    )
