"""Browser-test fixtures: one real stack per session, one Chromium, a context per user."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.portal.browser_stack import CHROMIUM, Stack, Traffic, existing_stack, running_stack


@pytest.fixture(scope="session")
def portal_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # HAWKARI_TEST_STACK=<data dir of a running `hawkari up`> reuses it (working on the tests by hand).
    if os.environ.get("HAWKARI_TEST_STACK"):
        yield existing_stack(Path(os.environ["HAWKARI_TEST_STACK"]))
        return
    root = tmp_path_factory.mktemp("portal-stack")
    root.chmod(0o755)
    with running_stack(root / "data") as running:
        yield running


# Per module, not per session: Playwright's sync API runs an event loop in this thread while it is
# open, and the asynchronous tests that follow need the thread's loop to themselves.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's Chromium")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def traffic() -> Traffic:
    """Every request of every browser context in the session (checked at the end of the loop)."""
    return Traffic()


@pytest.fixture
def new_context(chromium: Any, traffic: Traffic) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = chromium.new_context(viewport={"width": 1280, "height": 1300}, **options)
        context.set_default_timeout(30_000)
        traffic.attach(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
