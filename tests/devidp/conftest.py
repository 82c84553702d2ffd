"""One real development IdP server for the tests of this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.devidp.testing import running_idp


@pytest.fixture(scope="session")
def idp_key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devidp")


@pytest.fixture(scope="session")
def idp_url(idp_key_dir: Path) -> Iterator[str]:
    """Base URL of a running IdP, e.g. http://127.0.0.1:41234 (python-keycloak's server_url)."""
    with running_idp(idp_key_dir) as base_url:
        yield base_url
