"""A small Keycloak-compatible identity provider for laptops and CI (development and test only).

It serves the realm files in ``deploy/keycloak`` at Keycloak's URLs, so services, the portal and
python-keycloak talk to it exactly as they talk to the real Keycloak. Run it with
``python -m deploy.devidp``; build it in tests with :func:`create_app` or
:func:`deploy.devidp.testing.running_idp`.
"""

from deploy.devidp.app import create_app
from deploy.devidp.settings import IdpSettings

__all__ = ["IdpSettings", "create_app"]
