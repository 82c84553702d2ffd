"""Every route of the registry was called by some test in this run (named zz_ to run last)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.settings import Environment
from tests.registry.harness import CALLED_ROUTES, api_operations


def test_every_endpoint_is_exercised(request: pytest.FixtureRequest) -> None:
    here = Path(__file__).parent
    modules = {p.name for p in here.glob("test_*.py")}
    ran = {Path(str(item.fspath)).name for item in request.session.items}
    if not modules <= ran:
        pytest.skip("only meaningful when the whole registry suite runs")
    routes = set(api_operations(create_app(RegistrySettings(environment=Environment.test))))
    assert len(routes) > 50
    # The recorder (conftest.RouteRecorder) counts only requests with a token that got past
    # authentication, so the 401 sweep of test_app does not make this pass by itself.
    missing = sorted(routes - CALLED_ROUTES)
    assert not missing, f"routes no test calls: {missing}"
