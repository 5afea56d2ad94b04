"""The store's state and its product rules: SKUs, stock status, variations, keys, webhook events.

Every mutation runs inside ``store.tx()``; the events it records (``product.updated``, ...) are
handed to the webhook dispatcher when the outermost transaction ends, the way WooCommerce queues
deliveries for the end of the request.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .models import ApiKey, Product, WCError
from .serialize import sanitize_title

UNCATEGORIZED = {"id": 15, "name": "Uncategorized", "slug": "uncategorized"}
NOTIFY_NO_STOCK_AMOUNT = 0  # woocommerce_notify_no_stock_amount default


def stock_amount(value) -> int:
    """``wc_stock_amount``: stock is stored as an integer."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def as_bool(value) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class Store:
    """In-memory WordPress/WooCommerce tables guarded by one re-entrant lock."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.lock = threading.RLock()
        self.products: dict[int, Product] = {}
        self.orders: dict = {}
        self.api_keys: list[ApiKey] = []
        # product_cat terms by term id; a fresh install has only Uncategorized (term 15).
        self.categories: dict[int, dict] = {UNCATEGORIZED["id"]: dict(UNCATEGORIZED)}
        self._term_id = UNCATEGORIZED["id"]
        self.on_commit: Callable[[list[tuple[str, int]]], None] | None = None
        self._events: list[tuple[str, int]] | None = None
        self._post_id = 9  # a fresh WordPress install already used posts 1..9
        self._order_item_id = 0
        self._item_meta_id = 0
        self._comment_id = 1  # comment 1 is WordPress's sample comment
        self._key_id = 0
        self._postmeta_id = 100

    # ------------------------------------------------------------------ plumbing

    def now(self) -> int:
        return int(self.clock())

    @contextmanager
    def tx(self) -> Iterator[None]:
        """Hold the lock; at the outermost exit hand the recorded events to ``on_commit``."""
        with self.lock:
            outer = self._events is None
            if outer:
                self._events = []
            try:
                yield
            finally:
                if outer:
                    events, self._events = self._events, None
                    if events and self.on_commit is not None:
                        self.on_commit(events)

    def emit(self, topic: str, resource_id: int) -> None:
        if self._events is None:
            raise RuntimeError("store.emit() outside store.tx()")
        self._events.append((topic, resource_id))

    def new_post_id(self) -> int:
        self._post_id += 1
        return self._post_id

    def new_order_item_id(self) -> int:
        self._order_item_id += 1
        return self._order_item_id

    def new_item_meta_id(self, count: int = 1) -> int:
        """Reserve ``count`` rows of ``woocommerce_order_itemmeta``; return the last id."""
        self._item_meta_id += count
        return self._item_meta_id

    def new_comment_id(self) -> int:
        self._comment_id += 1
        return self._comment_id

    # ------------------------------------------------------------------ API keys

    def create_api_key(self, user_id: int, permissions: str, description: str = "") -> ApiKey:
        self._key_id += 1
        key = ApiKey(
            key_id=self._key_id,
            user_id=user_id,
            consumer_key="ck_" + secrets.token_hex(20),
            consumer_secret="cs_" + secrets.token_hex(20),
            permissions=permissions,
            description=description,
        )
        self.api_keys.append(key)
        return key

    def delete_api_key(self, key_id: int) -> None:
        self.api_keys[:] = [k for k in self.api_keys if k.key_id != key_id]

    def key_by_consumer_key(self, consumer_key: str) -> ApiKey | None:
        for key in self.api_keys:
            if secrets.compare_digest(key.consumer_key.encode(), consumer_key.encode()):
                return key
        return None

    def create_category(self, name: str, slug: str | None = None) -> dict:
        """``wp_insert_term(name, 'product_cat')``: a new term id, a sanitized unique slug."""
        self._term_id += 1
        base = sanitize_title(slug or name) or "category"
        taken = {c["slug"] for c in self.categories.values()}
        unique, n = base, 2
        while unique in taken:
            unique, n = f"{base}-{n}", n + 1
        term = {"id": self._term_id, "name": name, "slug": unique}
        self.categories[term["id"]] = term
        return dict(term)

    def product_categories(self, p: Product) -> list[dict]:
        """The product's categories as the REST API lists them: by name (``wp_get_post_terms``
        order); a product saved without any is in the default category."""
        if p.is_variation:
            return []
        terms = [self.categories[i] for i in p.category_ids if i in self.categories]
        if not terms:
            return [dict(UNCATEGORIZED)]
        return [dict(t) for t in sorted(terms, key=lambda t: (t["name"].lower(), t["id"]))]

    # ------------------------------------------------------------------ lookups

    def product(self, product_id: int) -> Product | None:
        p = self.products.get(product_id)
        return p if p is not None and not p.is_variation else None

    def variation(self, variation_id: int, parent_id: int | None = None) -> Product | None:
        v = self.products.get(variation_id)
        if v is None or not v.is_variation:
            return None
        if parent_id is not None and v.parent_id != parent_id:
            return None
        return v

    def children(self, parent: Product) -> list[Product]:
        """Variations of a variable product, in ``menu_order``, then id order."""
        kids = [p for p in self.products.values() if p.is_variation and p.parent_id == parent.id]
        return sorted(kids, key=lambda v: (v.menu_order, v.id))

    def sku_owner(self, sku: str, exclude_id: int = 0) -> int | None:
        for p in self.products.values():
            if p.sku == sku and p.id != exclude_id and p.status != "trash":
                return p.id
        return None

    def parent_of(self, variation: Product) -> Product:
        return self.products[variation.parent_id]

    # ------------------------------------------------------------------ product props

    def set_sku(self, p: Product, sku: str) -> None:
        """``WC_Product::set_sku``: duplicated SKUs raise with the owner and a free suggestion."""
        sku = sku.strip()
        if sku:
            owner = self.sku_owner(sku, exclude_id=p.id)
            if owner is not None:
                n = 1
                while self.sku_owner(f"{sku}-{n}") is not None:
                    n += 1
                raise WCError(
                    "product_invalid_sku",
                    "Invalid or duplicated SKU.",
                    400,
                    resource_id=owner,
                    unique_sku=f"{sku}-{n}",
                )
        p.sku = sku

    def apply_props(self, p: Product, data: dict, creating: bool) -> None:
        """The subset of ``prepare_object_for_database`` that products and variations share."""
        simple_fields = {
            "name": str,
            "description": str,
            "short_description": str,
            "regular_price": str,
            "sale_price": str,
            "tax_status": str,
            "tax_class": str,
            "weight": str,
            "purchase_note": str,
            "catalog_visibility": str,
            "global_unique_id": str,
        }
        for key, cast in simple_fields.items():
            if data.get(key) is not None:
                setattr(p, key, cast(data[key]))
        for key in ("virtual", "downloadable", "featured", "reviews_allowed"):
            if data.get(key) is not None:
                setattr(p, key, as_bool(data[key]))
        if data.get("status"):
            p.status = str(data["status"])
        if data.get("menu_order") is not None:
            p.menu_order = int(data["menu_order"])
        if isinstance(data.get("dimensions"), dict):
            for axis in ("length", "width", "height"):
                if data["dimensions"].get(axis) is not None:
                    p.dimensions[axis] = str(data["dimensions"][axis])
        if data.get("sku") is not None:
            self.set_sku(p, str(data["sku"]))
        if isinstance(data.get("categories"), list) and not p.is_variation:
            # wp_set_object_terms skips ids that name no term.
            p.category_ids = [
                int(c["id"])
                for c in data["categories"]
                if isinstance(c, dict)
                and str(c.get("id", "")).isdigit()
                and int(c["id"]) in self.categories
            ]
        if isinstance(data.get("meta_data"), list):
            for meta in data["meta_data"]:
                if isinstance(meta, dict) and "key" in meta:
                    p.meta_data = [m for m in p.meta_data if m["key"] != meta["key"]]
                    self._postmeta_id += 1
                    p.meta_data.append(
                        {"id": self._postmeta_id, "key": meta["key"], "value": meta.get("value")}
                    )
        # Stock handling, in WooCommerce's order: manage_stock, stock_status, backorders, quantity.
        if data.get("manage_stock") is not None:
            p.manage_stock = as_bool(data["manage_stock"])
        if data.get("stock_status") is not None:
            p.stock_status = str(data["stock_status"])
        if data.get("backorders") is not None:
            p.backorders = str(data["backorders"])
        if p.manage_stock:
            if data.get("stock_quantity") is not None:
                p.stock_quantity = stock_amount(data["stock_quantity"])
            elif data.get("inventory_delta") is not None:
                p.stock_quantity = stock_amount(p.stock_quantity) + stock_amount(
                    data["inventory_delta"]
                )
            if "low_stock_amount" in data:
                low = data["low_stock_amount"]
                p.low_stock_amount = None if low is None else stock_amount(low)
        else:
            p.backorders = "no"
            p.stock_quantity = None
            p.low_stock_amount = None

    def validate_stock(self, p: Product) -> None:
        """``WC_Product::validate_props``: a managed stock decides ``stock_status``."""
        if p.type == "variable" and not p.manage_stock:
            self.sync_variable(p)
            return
        if not p.manage_stock:
            return
        if stock_amount(p.stock_quantity) > NOTIFY_NO_STOCK_AMOUNT:
            p.stock_status = "instock"
        elif p.backorders != "no":
            p.stock_status = "onbackorder"
        else:
            p.stock_status = "outofstock"

    def sync_variable(self, parent: Product) -> bool:
        """``WC_Product_Variable::sync_stock_status``; True when the parent's status changed."""
        if parent.manage_stock:
            return False
        statuses = [v.stock_status for v in self.children(parent) if v.status == "publish"]
        if "instock" in statuses:
            status = "instock"
        elif "onbackorder" in statuses:
            status = "onbackorder"
        else:
            status = "outofstock"
        changed = status != parent.stock_status
        parent.stock_status = status
        return changed

    def unique_slug(self, base: str, exclude_id: int = 0) -> str:
        base = base or "product"
        slugs = {p.slug for p in self.products.values() if p.id != exclude_id}
        slug, n = base, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        return slug

    # ------------------------------------------------------------------ products

    def create_product(self, data: dict) -> Product:
        """Create a product as ``POST /products`` does; fires ``product.created``."""
        now = self.now()
        ptype = str(data.get("type") or "simple")
        p = Product(id=0, type=ptype, name="", slug="", date_created=now, date_modified=now)
        self.apply_props(p, data, creating=True)
        if isinstance(data.get("attributes"), list):
            p.attributes = self._parent_attributes(data["attributes"])
        p.id = self.new_post_id()
        p.name = p.name or "Product"
        p.slug = self.unique_slug(sanitize_title(str(data.get("slug") or p.name)), p.id)
        p.related_ids = [
            q.id
            for q in sorted(self.products.values(), key=lambda q: q.id)
            if not q.is_variation and q.status == "publish"
        ][-5:]
        self.validate_stock(p)
        self.products[p.id] = p
        self.emit("product.created", p.id)
        return p

    def update_product(self, p: Product, data: dict) -> Product:
        """Update as ``PUT /products/<id>`` does; every save bumps ``date_modified``."""
        if data.get("type"):
            p.type = str(data["type"])
        self.apply_props(p, data, creating=False)
        if isinstance(data.get("attributes"), list) and not p.is_variation:
            p.attributes = self._parent_attributes(data["attributes"])
        if data.get("slug"):
            p.slug = self.unique_slug(sanitize_title(str(data["slug"])), p.id)
        if p.is_variation and data.get("attributes") is not None:
            p.attributes = self._variation_attributes(self.parent_of(p), data["attributes"])
            p.name = self.variation_title(p)
        self.save(p)
        return p

    def save(self, p: Product) -> None:
        """``$product->save()`` on an existing product: validate, bump modified, fire updated."""
        self.validate_stock(p)
        p.date_modified = self.now()
        self.emit("product.updated", p.id)
        if p.is_variation:
            self.sync_variable(self.parent_of(p))

    def change_stock(self, p: Product, qty: int) -> None:
        """``wc_update_product_stock`` 'set' without the event (callers decide when to emit)."""
        p.stock_quantity = qty
        self.validate_stock(p)
        p.date_modified = self.now()
        if p.is_variation:
            self.sync_variable(self.parent_of(p))

    def trash_product(self, p: Product) -> None:
        """``wp_trash_post``: status becomes trash; fires ``product.deleted`` with the id only."""
        if p.status == "trash":
            raise WCError(
                "woocommerce_rest_already_trashed", "The product has already been deleted.", 410
            )
        p.trashed_from, p.status = p.status, "trash"
        p.date_modified = self.now()
        self.emit("product.deleted", p.id)

    def delete_product(self, p: Product) -> None:
        """Permanent delete: gone, with its variations; no webhook fires (as observed)."""
        for child in list(self.products.values()):
            if child.is_variation and child.parent_id == p.id:
                del self.products[child.id]
        del self.products[p.id]
        if p.is_variation and p.parent_id in self.products:
            self.sync_variable(self.products[p.parent_id])

    # ------------------------------------------------------------------ variations

    def create_variation(self, parent: Product, data: dict) -> Product:
        now = self.now()
        v = Product(
            id=0, type="variation", name="", slug="", date_created=now, date_modified=now,
            parent_id=parent.id, tax_class="parent", reviews_allowed=False,
        )  # fmt: skip
        self.apply_props(v, data, creating=True)
        v.attributes = self._variation_attributes(parent, data.get("attributes") or [])
        v.id = self.new_post_id()
        v.name = self.variation_title(v)
        v.slug = self.unique_slug(sanitize_title(v.name), v.id)
        self.validate_stock(v)
        self.products[v.id] = v
        self.sync_variable(parent)
        parent.date_modified = now
        self.emit("product.created", v.id)
        return v

    def variation_title(self, v: Product) -> str:
        """``generate_product_title``: parent name plus option values when fewer than 3."""
        parent = self.parent_of(v)
        values = [a["option"] for a in v.attributes if a["option"]]
        include = len(v.attributes) < 3
        if include and len(v.attributes) > 1:
            include = not any("-" in sanitize_title(a["name"]) for a in v.attributes)
        return f"{parent.name} - {', '.join(values)}" if include and values else parent.name

    def _parent_attributes(self, raw: list) -> list:
        attrs = []
        for pos, a in enumerate(raw):
            if not isinstance(a, dict) or not a.get("name"):
                continue
            options = a.get("options") or []
            if isinstance(options, str):
                options = [o.strip() for o in options.split("|") if o.strip()]
            attrs.append(
                {
                    "name": str(a["name"]),
                    "options": [str(o) for o in options],
                    "visible": as_bool(a.get("visible", False)),
                    "variation": as_bool(a.get("variation", False)),
                    "position": int(a.get("position", pos)),
                }
            )
        return attrs

    def _variation_attributes(self, parent: Product, raw: list) -> list:
        by_slug = {sanitize_title(a["name"]): a for a in parent.attributes if a["variation"]}
        chosen = []
        for a in raw:
            if not isinstance(a, dict) or not a.get("name"):
                continue
            parent_attr = by_slug.get(sanitize_title(str(a["name"])))
            if parent_attr is None:
                continue
            chosen.append({"name": parent_attr["name"], "option": str(a.get("option", ""))})
        return chosen
