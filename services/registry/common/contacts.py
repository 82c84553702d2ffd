"""Institutional contact fields (an organization's or service's own mailbox, line and site)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, HttpUrl

Email = Annotated[
    str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["info@rwanga.org"])
]
Phone = Annotated[
    str, Field(max_length=30, pattern=r"^\+?[0-9][0-9 ()\-]{5,28}$", examples=["+964 750 000 0000"])
]
Url = Annotated[HttpUrl, AfterValidator(str), Field(examples=["https://rwanga.org"])]
