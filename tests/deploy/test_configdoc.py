"""The configuration reference is generated from the settings classes; a stale copy fails here."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hawkari import configdoc
from hawkari.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_the_generated_files_are_up_to_date() -> None:
    stale = [str(p.relative_to(REPO)) for p in configdoc.stale_files()]
    assert not stale, f"run `uv run --frozen hawkari config docs` and commit: {stale}"


def test_a_new_setting_makes_the_reference_stale(monkeypatch) -> None:
    from pydantic import Field

    from services.registry.settings import RegistrySettings

    class Extended(RegistrySettings):
        # How many pigeons carry the backup.
        pigeons: int = Field(default=3)

    monkeypatch.setattr(
        configdoc, "settings_class", lambda service: Extended if service == "registry" else None
    )
    variables = configdoc.variables("registry")
    pigeons = next(v for v in variables if v.field == "pigeons")
    assert (pigeons.env, pigeons.default, pigeons.description) == (
        "HAWKARI_REGISTRY_PIGEONS",
        "3",
        "How many pigeons carry the backup.",
    )
    section = configdoc.reference_markdown({"registry": variables})
    assert "`HAWKARI_REGISTRY_PIGEONS`" in section
    assert section not in configdoc.OPERATIONS.read_text()


def test_secrets_and_wiring_are_classified() -> None:
    referrals = {v.field: v for v in configdoc.variables("referrals")}
    assert referrals["master_key"].secret and referrals["master_key"].wired
    assert referrals["master_key_id"].wired and not referrals["master_key_id"].secret
    assert referrals["previous_master_keys"].secret and not referrals["previous_master_keys"].wired
    assert referrals["database_url"].wired and not referrals["log_level"].wired
    # A secret's development default never reaches an env file an operator copies.
    for service in configdoc.services_with_settings():
        text = configdoc.env_file(service, configdoc.variables(service))
        assert "dev-" not in text


def test_check_mode_of_the_command() -> None:
    result = CliRunner().invoke(app, ["config", "docs", "--check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout
