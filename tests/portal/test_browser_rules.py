"""Languages, CSRF, login redirects, page weight and requests, in Chromium against the real stack."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.portal.browser_stack import Screens, Stack, Traffic, login

pytestmark = pytest.mark.timeout(300)
PAGE_BUDGET = 200_000  # bytes transferred per page, before charts


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_arabic_and_kurdish_pages_are_right_to_left_and_mirrored(
    portal_stack: Stack, new_context: Any, lang: str
) -> None:
    portal = portal_stack.portal
    shots = Screens(f"rtl-{lang}")
    page = new_context().new_page()
    login(page, portal, "counsellor.erbil", "/cases")
    page.select_option("#language-select", lang)
    page.click(".language-form button")
    page.wait_for_selector(f"html[lang={lang}]")
    assert page.get_attribute("html", "dir") == "rtl"
    # Mirrored: the brand sits at the right edge, the tools at the left.
    brand = page.locator(".brand").bounding_box()
    tools = page.locator(".header-tools").bounding_box()
    assert brand and tools and brand["x"] > tools["x"]
    shots.shot(page, "cases")
    # The choice is remembered on the next page.
    page.goto(portal + "/cases/new")
    assert page.get_attribute("html", "lang") == lang and page.get_attribute("html", "dir") == "rtl"
    page.click("form[action='/cases/new'] button[type=submit]")  # empty: errors in the language
    summary = page.locator(".error-summary").inner_text()
    assert "Enter this information" not in summary and summary.strip()
    shots.shot(page, "new-case-errors")
    page.select_option("#language-select", "en")
    page.click(".language-form button")
    page.wait_for_selector("html[lang=en]")
    assert page.get_attribute("html", "dir") == "ltr"


def test_a_form_without_the_sessions_csrf_token_is_refused(portal_stack: Stack, new_context: Any) -> None:
    portal = portal_stack.portal
    shots = Screens("csrf")
    context = new_context()
    page = context.new_page()
    login(page, portal, "counsellor.erbil", "/cases/new")
    page.fill("#f-given_name", "Forged")
    page.check("input[name=return_type][value=self_initiated]")
    # A forged page would not know the token: replace it, as a cross-site form would send it.
    page.evaluate(
        "document.querySelector('form[action=\"/cases/new\"] input[name=csrf_token]').value = 'forged'"
    )
    page.click("form[action='/cases/new'] button[type=submit]")
    page.wait_for_selector("h1:has-text('Form expired')")
    shots.shot(page, "refused")
    # Without any token at all (another site posting with the user's cookie): refused too.
    response = context.request.post(portal + "/cases/new", form={"given_name": "X", "return_type": "forced"})
    assert response.status == 403
    page.goto(portal + "/cases?q=Forged")
    assert "No case matches." in page.locator("main").inner_text()


def test_login_and_an_expired_session_return_to_the_page(portal_stack: Stack, new_context: Any) -> None:
    portal = portal_stack.portal
    shots = Screens("login-redirect")
    page = new_context().new_page()
    page.goto(portal + "/services?q=housing")
    assert urlsplit(page.url).netloc == urlsplit(portal_stack.idp).netloc  # sent to the IdP
    shots.shot(page, "idp-login")
    page.fill("#username", "counsellor.erbil")
    page.fill("#password", "hawkari-demo")
    page.click("button[type=submit]")
    page.wait_for_url(portal + "/services?q=housing")
    # The access token has expired: the portal refreshes it with the refresh token, unseen.
    sql(portal_stack, "UPDATE portal_session SET access_expires_at = now() - interval '1 minute'")
    page.goto(portal + "/cases")
    assert page.locator("h1").inner_text() == "Cases"
    # (Every session was expired above; only a refresh moves one forward again.)
    assert sql(portal_stack, "SELECT count(*) FROM portal_session WHERE access_expires_at > now()") >= 1
    # The server forgets every session (expiry, purge): the next form post asks for a login and
    # comes back to the page that held the form.
    page.goto(portal + "/cases/new")
    sql(portal_stack, "DELETE FROM portal_session")
    page.fill("#f-given_name", "After expiry")
    page.click("form[action='/cases/new'] button[type=submit]")
    page.wait_for_selector("#username")
    page.fill("#username", "counsellor.erbil")
    page.fill("#password", "hawkari-demo")
    page.click("button[type=submit]")
    page.wait_for_url(portal + "/cases/new")
    shots.shot(page, "back-on-the-form")
    # Logging out ends the session here and at the IdP.
    page.click("button:has-text('Log out')")
    page.wait_for_url(portal + "/")
    page.goto(portal + "/cases")
    assert urlsplit(page.url).netloc == urlsplit(portal_stack.idp).netloc


def sql(stack: Stack, query: str) -> Any:
    """Run one statement on the portal's database, from another thread: Playwright's sync API owns
    this thread's event loop."""

    async def run() -> Any:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{stack.postgres_port}/hawkari_portal")
        try:
            return await conn.fetchval(query)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


PAGES = {
    "counsellor.erbil": ["/", "/cases", "/cases/new", "/services", "/notifications"],
    "caseworker.rwanga": ["/provider/referrals", "/provider/services"],
    "admin.rwanga": ["/provider/webhooks"],
}


def test_pages_are_light_accessible_and_only_the_portal_is_asked(
    portal_stack: Stack, new_context: Any, traffic: Traffic
) -> None:
    portal = portal_stack.portal
    portal_host = urlsplit(portal).netloc
    weights: dict[str, int] = {}
    for user, paths in PAGES.items():
        context = new_context()
        page = context.new_page()
        login(page, portal, user, "/notifications")  # a page that needs a login
        for path in paths:
            seen: list[Any] = []
            fresh = context.new_page()
            # Routing disables the browser's HTTP cache: every asset counts, as on a first visit.
            fresh.route("**/*", lambda route: route.continue_())
            fresh.on("requestfinished", lambda request, seen=seen: seen.append(request))
            fresh.goto(portal + path, wait_until="load")
            fresh.wait_for_timeout(300)
            # Accessible: a title, every visible control labelled, and the keyboard starts at the skip link.
            assert fresh.title().strip(), path
            unlabelled = fresh.evaluate(
                "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
                ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.name)"
            )
            assert not unlabelled, (path, unlabelled)
            fresh.keyboard.press("Tab")
            assert fresh.evaluate("document.activeElement.className") == "skip-link", path
            total = 0
            for request in seen:
                assert urlsplit(request.url).netloc == portal_host, request.url
                sizes = request.sizes()
                total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            weights[path] = total
            fresh.close()
        page.close()
    heavy = {p: w for p, w in weights.items() if w >= PAGE_BUDGET}
    assert not heavy, weights
    assert all(w > 10_000 for w in weights.values()), weights  # the script and styles were counted
    print("page weights (bytes):", weights)
    assert portal_host in traffic.hosts()
