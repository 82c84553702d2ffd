"""What a notification says, and how it is rendered for email in the reader's language.

A message holds only non-personal facts: the kind of step, a case reference derived from the
case id, the service and organization names, the status, a reason/outcome *code* and a link into
the portal. Codes that do not look like codes (free text) are replaced, so a producer bug cannot
leak a note into a mailbox. Text direction comes from Babel's CLDR data, never a list of our own.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import babel
from jinja2 import Environment, FileSystemLoader, select_autoescape

LANGUAGES = ("en", "ar", "ckb")
TEMPLATES = Path(__file__).parent / "templates"
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def case_reference(case_id: uuid.UUID, published: str | None = None) -> str:
    """The reference a caseworker can quote on the phone; it identifies a case, not a person.

    The referrals service's own reference when the event carries it (the one the portal shows);
    a stable stand-in derived from the id for older events.
    """
    return published or "C-" + case_id.hex[:8].upper()


def safe_code(value: str | None) -> str | None:
    if value is None:
        return None
    return value if _CODE.match(value) else "other"


def language_of(locale: str | None, default: str) -> str:
    """The message language for a locale such as ``ar`` or ``ckb-IQ``; ``default`` if we have none."""
    base = (locale or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else default


def text_direction(language: str) -> str:
    return str(babel.Locale.parse(language).text_direction)


@cache
def catalog(language: str) -> dict[str, Any]:
    if language not in LANGUAGES:
        language = "en"
    data: dict[str, Any] = json.loads((TEMPLATES / "i18n" / f"{language}.json").read_text("utf-8"))
    return data


@cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        keep_trailing_newline=True,
        # The templates ship with the code: no stat of both files for every email rendered.
        auto_reload=False,
    )


@dataclass(frozen=True)
class Message:
    kind: str
    link: str
    case_reference: str | None = None
    # Names by language, from the registry replica.
    service_names: dict[str, str | None] = field(default_factory=dict)
    organization_names: dict[str, str | None] = field(default_factory=dict)
    status: str | None = None
    code: str | None = None

    def service_name(self, language: str = "en") -> str | None:
        return _pick(self.service_names, language)

    def organization_name(self, language: str = "en") -> str | None:
        return _pick(self.organization_names, language)

    def title(self, language: str) -> str:
        t = catalog(language)
        unknown = t["label"]["unknown"]
        template: str = t["title"][self.kind]
        return template.format(
            ref=self.case_reference or "",
            service=self.service_name(language) or unknown,
            org=self.organization_name(language) or unknown,
        )

    def rows(self, language: str) -> list[tuple[str, str]]:
        t = catalog(language)
        label = t["label"]
        out = []
        if self.case_reference:
            out.append((label["case"], self.case_reference))
        if self.service_names:
            out.append((label["service"], self.service_name(language) or label["unknown"]))
        if self.organization_names:
            out.append((label["organization"], self.organization_name(language) or label["unknown"]))
        if self.status:
            out.append((label["status"], t["status"].get(self.status, self.status)))
        if self.code:
            out.append((label["code"], self.code))
        return out


def _pick(names: dict[str, str | None], language: str) -> str | None:
    return names.get(language) or names.get("en") or next((n for n in names.values() if n), None)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(language: str, messages: list[Message], *, digest: bool = False) -> RenderedEmail:
    language = language if language in LANGUAGES else "en"
    t = catalog(language)
    entries = [{"title": m.title(language), "rows": m.rows(language), "link": m.link} for m in messages]
    subject = t["label"]["digest"].format(count=len(messages)) if digest else entries[0]["title"]
    context = {
        "lang": language,
        "dir": text_direction(language),
        "t": t,
        "entries": entries,
        "subject": subject,
    }
    env = _env()
    return RenderedEmail(
        subject=subject,
        text=env.get_template("email.txt.j2").render(context),
        html=env.get_template("email.html.j2").render(context),
    )
