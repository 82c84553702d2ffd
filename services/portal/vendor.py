"""Browser libraries from the npm registry, pinned and verified: ``python -m services.portal.vendor``.

``make setup`` runs this once. It reads ``vendor.lock.json``, downloads each tarball named there,
refuses it unless its SHA-512 matches the recorded integrity (Subresource-Integrity format, as in
npm's lock files), and extracts only the listed files into ``static/vendor/``. Nothing is fetched
at run time or test time: the portal refuses to start when a vendored file is missing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
LOCK = HERE / "vendor.lock.json"
STATIC_DIR = HERE / "static"
VENDOR_DIR = STATIC_DIR / "vendor"


class VendorError(RuntimeError):
    pass


def _packages() -> dict[str, dict[str, object]]:
    packages: dict[str, dict[str, object]] = json.loads(LOCK.read_text())["packages"]
    return packages


def expected_files() -> list[Path]:
    return [VENDOR_DIR / str(target) for p in _packages().values() for target in dict(p["files"]).values()]  # type: ignore[call-overload]


def require_vendored_assets() -> None:
    missing = [p.name for p in expected_files() if not p.exists()]
    if missing:
        raise VendorError(
            f"missing browser libraries {', '.join(missing)}: run `make setup` "
            "(or `python -m services.portal.vendor`) once to fetch them from the npm registry"
        )


def verify(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise VendorError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise VendorError(f"integrity mismatch: expected sha512-{expected}, got sha512-{actual}")


def fetch(name: str, spec: dict[str, object]) -> None:
    url = str(spec["tarball"])
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a pinned https URL
        data = response.read()
    verify(data, str(spec["integrity"]))
    files: dict[str, str] = dict(spec["files"])  # type: ignore[call-overload]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, target in files.items():
            extracted = archive.extractfile(member)
            if extracted is None:
                raise VendorError(f"{name}: {member} is not in the tarball")
            (VENDOR_DIR / target).write_bytes(extracted.read())
    print(f"vendored {name}@{spec['version']}: {', '.join(files.values())}")


def main() -> int:
    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        for name, spec in _packages().items():
            fetch(name, spec)
    except (OSError, VendorError) as exc:
        print(f"services.portal.vendor: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
