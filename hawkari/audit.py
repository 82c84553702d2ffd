"""Read pip-audit's JSON report on the locked dependencies and decide.

A known vulnerability in any locked version always fails. A package pip-audit could not look up
(PyPI's per-version advisory API unreachable, as on machines that reach only a registry mirror)
fails only in strict mode; otherwise the count of unaudited packages is printed loudly, so a run
that checked nothing never reads as a clean bill of health.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def verdict(report: dict[str, object], strict: bool) -> tuple[int, list[str]]:
    dependencies = report.get("dependencies")
    if not isinstance(dependencies, list):
        return 1, ["audit: FAILED: pip-audit wrote no dependency list"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    lines = [f"audit: {audited} of {len(dependencies)} locked packages checked against PyPI advisories"]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        fixes = sorted({f for v in dep["vulns"] for f in v.get("fix_versions", [])})
        fixed = fixes or "no release"
        lines.append(f"audit: VULNERABLE {dep['name']} {dep['version']}: {ids}; fixed in {fixed}")
    if skipped:
        lines.append(
            f"audit: WARNING: {len(skipped)} packages were NOT audited (e.g. {skipped[0]['skip_reason']})."
            " Run `make audit AUDIT=strict` where PyPI's advisory API is reachable."
        )
    failed = bool(vulnerable) or (strict and bool(skipped))
    if failed:
        lines.append("audit: FAILED. Upgrade with `uv lock --upgrade-package NAME`.")
    return (1 if failed else 0), lines


def main(argv: list[str]) -> int:
    path, mode = Path(argv[0]), argv[1] if len(argv) > 1 else "vulnerabilities"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        print(f"audit: FAILED: no pip-audit report at {path}: {exc}", file=sys.stderr)
        return 1
    code, lines = verdict(report, strict=mode == "strict")
    for line in lines:
        print(line, file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
