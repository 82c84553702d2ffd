"""``python -m deploy.devidp``: serve the development realm on 127.0.0.1:8080 (see IdpSettings)."""

from __future__ import annotations

import logging
import sys

import uvicorn

from deploy.devidp.app import create_app
from deploy.devidp.settings import IdpSettings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = IdpSettings()
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
