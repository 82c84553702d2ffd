"""Every table of the service, imported once so the metadata (and Alembic) sees them all."""

from services.notifications.directory.models import DirectoryUser, ReplicaOrganization, ReplicaService
from services.notifications.email.models import EmailDelivery
from services.notifications.inbox.models import InboxItem, InboxRead, ReferralState
from services.notifications.preferences.models import Preference
from services.notifications.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "DirectoryUser",
    "EmailDelivery",
    "InboxItem",
    "InboxRead",
    "Preference",
    "ReferralState",
    "ReplicaOrganization",
    "ReplicaService",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
