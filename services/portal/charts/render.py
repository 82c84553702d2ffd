"""Renders charts from their Jinja templates into markup a page can include as it is.

The charts have their own environment (autoescaping on) so they render the same inside any
page and in unit tests. Messages go through the reader's catalog as ``_``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from services.portal.charts.locale import ChartLocale

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, loc: ChartLocale, **context: Any) -> Markup:
    html = environment().get_template(template).render(loc=loc, _=loc.gettext, **context)
    return Markup(html)  # noqa: S704 - autoescaped template output
