"""The email a delivery becomes: the same message on every attempt."""

from __future__ import annotations

import email
import uuid

from services.notifications.email import sender
from services.notifications.settings import NotificationsSettings


def test_every_attempt_of_a_delivery_is_the_same_message() -> None:
    settings = NotificationsSettings(mail_from="Hawkari <notify@mrc.example>")
    delivery, other = uuid.uuid4(), uuid.uuid4()

    def message_id(delivery_id: uuid.UUID) -> str:
        data = sender.build(settings, "a@example.org", "Subject", "text", "<p>html</p>", "en", delivery_id)
        return str(email.message_from_bytes(data)["Message-ID"])

    # A resend after a crash between sending and recording must be recognisable as a duplicate.
    assert message_id(delivery) == message_id(delivery) == f"<{delivery}@mrc.example>"
    assert message_id(other) != message_id(delivery)
