"""Plain records for what a WooCommerce store keeps: products, variations, orders, keys, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


class WCError(Exception):
    """A ``WP_Error``: code, message, HTTP status and extra ``data`` members, as WooCommerce returns."""

    def __init__(self, code: str, message: str, status: int = 400, **data):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data

    def body(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }


@dataclass
class ApiKey:
    """A row of ``wp_woocommerce_api_keys`` (the secret is kept in clear, as WooCommerce does)."""

    key_id: int
    user_id: int
    consumer_key: str
    consumer_secret: str
    permissions: str  # read | write | read_write
    description: str = ""
    # WooCommerce stores used nonces keyed by timestamp, so one nonce per second is remembered.
    nonces: dict[int, str] = field(default_factory=dict)


@dataclass
class Product:
    """A ``product`` or ``product_variation`` post with the props the REST API exposes."""

    id: int
    type: str  # simple | variable | grouped | external | variation
    name: str
    slug: str
    date_created: int
    date_modified: int
    status: str = "publish"
    parent_id: int = 0
    description: str = ""
    short_description: str = ""
    sku: str = ""
    regular_price: str = ""
    sale_price: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    backorders: str = "no"
    low_stock_amount: int | None = None
    total_sales: int = 0
    virtual: bool = False
    downloadable: bool = False
    featured: bool = False
    catalog_visibility: str = "visible"
    tax_status: str = "taxable"
    tax_class: str = ""
    weight: str = ""
    dimensions: dict = field(default_factory=lambda: {"length": "", "width": "", "height": ""})
    reviews_allowed: bool = True
    purchase_note: str = ""
    menu_order: int = 0
    global_unique_id: str = ""
    # Parent products: [{"name", "options", "visible", "variation", "position"}];
    # variations: [{"name", "option"}] naming the parent attribute they pick.
    attributes: list = field(default_factory=list)
    # product_cat term ids (none: the default category, Uncategorized); variations have none.
    category_ids: list = field(default_factory=list)
    related_ids: list = field(default_factory=list)
    meta_data: list = field(default_factory=list)
    trashed_from: str = ""

    @property
    def is_variation(self) -> bool:
        return self.type == "variation"

    @property
    def price(self) -> str:
        return self.sale_price if self.sale_price != "" else self.regular_price


@dataclass
class ItemMeta:
    id: int
    key: str
    value: str
    display_key: str
    display_value: str


@dataclass
class LineItem:
    id: int
    product_id: int
    variation_id: int
    name: str
    quantity: int
    sku: str
    subtotal: Decimal
    total: Decimal
    parent_name: str | None = None
    meta: list[ItemMeta] = field(default_factory=list)

    def meta_value(self, key: str) -> str | None:
        for m in self.meta:
            if m.key == key:
                return m.value
        return None


@dataclass
class OrderNote:
    id: int
    date_created: int
    note: str
    customer_note: bool = False
    author: str = "WooCommerce"


@dataclass
class Order:
    id: int
    order_key: str
    date_created: int
    date_modified: int
    status: str = "pending"
    currency: str = "USD"
    customer_id: int = 0
    customer_note: str = ""
    billing: dict = field(default_factory=dict)
    shipping: dict = field(default_factory=dict)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    created_via: str = "rest-api"
    date_paid: int | None = None
    date_completed: int | None = None
    line_items: list[LineItem] = field(default_factory=list)
    meta_data: list = field(default_factory=list)
    notes: list[OrderNote] = field(default_factory=list)
    stock_reduced: bool = False
    recorded_sales: bool = False
    trashed_from: str = ""

    @property
    def total(self) -> Decimal:
        return sum((li.total for li in self.line_items), Decimal("0"))


ORDER_STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}

BILLING_KEYS = (
    "first_name", "last_name", "company", "address_1", "address_2",
    "city", "state", "postcode", "country", "email", "phone",
)  # fmt: skip
SHIPPING_KEYS = (
    "first_name", "last_name", "company", "address_1", "address_2",
    "city", "state", "postcode", "country", "phone",
)  # fmt: skip
