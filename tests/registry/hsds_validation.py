"""Validate documents against the official HSDS 3.0 JSON Schemas copied into ``hsds_schema/``.

Uses ``jsonschema`` with a ``referencing`` registry so a ``$ref`` to a sibling file
(``"organization.json"``) resolves to the copy beside it. The schemas name formats (uuid, uri,
email, date-time, date) that jsonschema only checks when optional packages are present, so the
checks used here are registered explicitly: a format is never passed over silently.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = Path(__file__).parent / "hsds_schema"

formats = FormatChecker(formats=())


@formats.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or (len(value) == 36 and str(uuid.UUID(value)) == value.lower())


@formats.checks("uri")
def _uri(value: object) -> bool:
    parsed = urlparse(value) if isinstance(value, str) else None
    return parsed is None or (bool(parsed.scheme) and bool(parsed.netloc or parsed.path))


@formats.checks("email")
def _email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    local, _, domain = value.partition("@")
    return bool(local) and "." in domain and " " not in value


@formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return (
        not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    )


@formats.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    files = [p.relative_to(SCHEMA_DIR).as_posix() for p in SCHEMA_DIR.rglob("*.json")]
    return Registry().with_resources(
        (name, Resource.from_contents(load(name), default_specification=DRAFT7)) for name in files
    )


def page_schema() -> dict[str, Any]:
    return load("openapi.json")["components"]["schemas"]["Page"]


def validate(
    instance: Any, schema: dict[str, Any], *, root: dict[str, Any] | None = None, where: str = ""
) -> list[str]:
    """Every violation, as "<json pointer>: <message>". Empty when the instance is valid."""
    validator = Draft7Validator(schema, registry=_registry(), format_checker=formats)
    return [
        f"{where}/{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def assert_valid(instance: Any, schema_file: str) -> None:
    problems = validate(instance, load(schema_file))
    assert not problems, f"{schema_file}: " + "; ".join(problems[:20])


def assert_valid_page(page: Any, item_schema_file: str) -> None:
    """An HSDS paged response: the Page envelope, and every item of ``contents``."""
    problems = validate(page, page_schema())
    assert not problems, "Page: " + "; ".join(problems)
    assert isinstance(page.get("contents"), list), "Page: contents must be an array"
    for i, item in enumerate(page["contents"]):
        problems = validate(item, load(item_schema_file), where=f"/contents/{i}")
        assert not problems, f"{item_schema_file}: " + "; ".join(problems[:20])
