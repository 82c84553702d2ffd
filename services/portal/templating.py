"""Jinja2 pages with the shared layout (``templates/base.html``), in the user's language.

Every page module renders with :func:`render`; templates get ``_``/``gettext``/``ngettext``, the
formatting filters (``number``, ``percent``, ``money``, ``date``, ``datetime``, ``ago``), the current
``user``, ``lang``, ``dir``, ``csrf_token`` and the navigation for the user's roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.portal import i18n, vocabulary
from services.portal.i18n import N_
from services.portal.sessions import UserSession

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str  # an English msgid, translated when rendered
    roles: frozenset[str]  # empty: every logged-in user


# The portal's own sections. Page modules of other helpers add theirs with add_nav_item().
_PROVIDERS = frozenset({"provider_caseworker", "provider_admin"})
NAV: list[NavItem] = [
    NavItem("/", N_("Home"), frozenset()),
    NavItem("/cases", N_("Cases"), frozenset({"counsellor"})),
    NavItem("/services", N_("Find services"), _PROVIDERS | {"counsellor"}),
    NavItem("/provider/referrals", N_("Incoming referrals"), _PROVIDERS),
    NavItem("/provider/services", N_("Our services"), _PROVIDERS),
    NavItem("/provider/webhooks", N_("Webhooks"), frozenset({"provider_admin"})),
    NavItem("/notifications", N_("Notifications"), frozenset()),
]


def add_nav_item(href: str, label: str, roles: Iterable[str]) -> None:
    """Show a section in the navigation to users holding any of ``roles`` (idempotent)."""
    if not any(item.href == href for item in NAV):
        NAV.append(NavItem(href, label, frozenset(roles)))


def nav_for(user: UserSession | None) -> list[NavItem]:
    if user is None:
        return []
    return [item for item in NAV if not item.roles or user.has_role(*item.roles)]


def _env(extra_dirs: Iterable[Path] = ()) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader([TEMPLATES, *extra_dirs])]),
        autoescape=select_autoescape(["html", "svg", "xml"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.current_language.get()).gettext(message),
        lambda singular, plural, n: i18n.translations(i18n.current_language.get()).ngettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.filters.update(
        number=i18n.format_number,
        percent=i18n.format_percent,
        money=i18n.format_money,
        date=i18n.format_date,
        datetime=i18n.format_datetime,
        ago=i18n.format_timedelta,
    )
    env.filters.update(loc=vocabulary.localized, country=vocabulary.country_name)
    env.globals.update(
        language_name=i18n.language_name,
        languages=i18n.LANGUAGES,
        label=vocabulary.label,
        options=vocabulary.options,
        vocab=vocabulary,
    )
    return env


env = _env()


def add_template_dir(path: Path) -> None:
    """Let a page module keep its templates beside its code (searched after the portal's own)."""
    loader = env.loader
    assert isinstance(loader, ChoiceLoader)
    loader.loaders = [*loader.loaders, FileSystemLoader(path)]


def page_context(request: Request) -> dict[str, Any]:
    lang = i18n.current_language.get()
    user: UserSession | None = getattr(request.state, "user", None)
    return {
        "request": request,
        "user": user,
        "lang": lang,
        "dir": i18n.direction(lang),
        "csrf_token": user.csrf_token if user else "",
        "nav": nav_for(user),
        "current_path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` (which extends ``base.html``) in the request's language."""
    html = env.get_template(template).render({**page_context(request), **(context or {})})
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
