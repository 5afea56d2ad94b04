"""SQLAlchemy 2.0 models, one module per aggregate. Import from here."""

from models.activity import ActivityEntry, record_activity
from models.ads import AdAccount, AdAction, AdLink, AdObject
from models.alert import Alert, AlertDelivery, AlertSettings
from models.base import Base, utcnow
from models.catalog import BundleComponent, Listing, Sku, sku_key
from models.forecast import Forecast
from models.installation import Installation, InstallState, SpentToken
from models.ledger import ChannelOrderLine, JobRun, Movement
from models.pool import StockPool
from models.restock import Restock, Supplier
from models.storefront import Availability, NotifySubscription, ProductPolicy, StorefrontMark
from models.webhook import WebhookDelivery

__all__ = [
    "AdAccount",
    "AdAction",
    "AdLink",
    "AdObject",
    "Alert",
    "AlertDelivery",
    "AlertSettings",
    "Availability",
    "NotifySubscription",
    "ProductPolicy",
    "Restock",
    "Supplier",
    "ActivityEntry",
    "Base",
    "BundleComponent",
    "ChannelOrderLine",
    "Forecast",
    "JobRun",
    "Listing",
    "Movement",
    "Sku",
    "StockPool",
    "SpentToken",
    "StorefrontMark",
    "sku_key",
    "InstallState",
    "Installation",
    "WebhookDelivery",
    "record_activity",
    "utcnow",
]
