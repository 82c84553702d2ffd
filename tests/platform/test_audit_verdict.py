"""How the dependency audit decides from pip-audit's report."""

from __future__ import annotations

from hawkari.audit import verdict

CLEAN = {"name": "jinja2", "version": "3.1.6", "vulns": []}
VULNERABLE = {
    "name": "oldlib",
    "version": "1.0",
    "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["1.1"]}],
}
UNAUDITED = {"name": "aiofiles", "skip_reason": "Dependency not found on PyPI and could not be audited"}


def test_a_known_vulnerability_always_fails() -> None:
    for strict in (False, True):
        code, lines = verdict({"dependencies": [CLEAN, VULNERABLE]}, strict=strict)
        assert code == 1
        assert any("VULNERABLE oldlib 1.0: GHSA-xxxx; fixed in ['1.1']" in line for line in lines)


def test_unaudited_packages_are_counted_loudly_and_fail_only_when_strict() -> None:
    report = {"dependencies": [CLEAN, UNAUDITED]}
    code, lines = verdict(report, strict=False)
    assert code == 0
    assert lines[0] == "audit: 1 of 2 locked packages checked against PyPI advisories"
    assert "1 packages were NOT audited" in lines[1]
    assert verdict(report, strict=True)[0] == 1


def test_a_report_without_dependencies_fails() -> None:
    assert verdict({}, strict=False)[0] == 1
    assert verdict({"dependencies": [CLEAN]}, strict=False) == (
        0,
        ["audit: 1 of 1 locked packages checked against PyPI advisories"],
    )
