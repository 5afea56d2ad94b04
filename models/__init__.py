"""SQLAlchemy 2.0 models, one module per aggregate. Import from here."""

from models.activity import ActivityEntry, record_activity
from models.base import Base, utcnow
from models.installation import Installation, InstallState
from models.webhook import WebhookDelivery

__all__ = [
    "ActivityEntry",
    "Base",
    "InstallState",
    "Installation",
    "WebhookDelivery",
    "record_activity",
    "utcnow",
]
