"""Preference shapes. Channels are named per kind; an unknown kind or channel is a 422."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.messages import LANGUAGES

Language = Literal["en", "ar", "ckb"]
assert set(LANGUAGES) == {"en", "ar", "ckb"}


class PreferencesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "language": "ckb",
                    "daily_digest": False,
                    "channels": {
                        "referral.sent": {"inbox": True, "email": True},
                        "referral.started": {"email": False},
                    },
                }
            ]
        },
    )

    language: Language = "en"
    daily_digest: bool = False
    # {kind: {channel: on}}; channels are "inbox" and "email" (webhooks belong to organizations).
    channels: dict[str, dict[str, bool]] = Field(default_factory=dict)


class PreferencesOut(BaseModel):
    subject: str
    language: Language
    daily_digest: bool
    # Whether email can reach the user: their token carried an email address when they saved.
    email_known: bool
    channels: dict[str, dict[str, bool]]
    kinds: list[str]
