"""JSON shapes of products, variations, orders and notes, key for key as WooCommerce 10.0.2 sends them.

``context`` follows the REST API: ``view`` for GET and webhook payloads (descriptions run through
wpautop, ratings as "0.00"), ``edit`` for write responses (raw text, ``permalink_template``,
``generated_slug``, a variation's ``tax_class`` "parent").
"""

from __future__ import annotations

from decimal import Decimal

from .models import Order, OrderNote, Product
from .serialize import rawurlencode, sanitize_title, wp_date, wpautop
from .store import Store

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _amount(value: str | Decimal) -> str:
    return f"{Decimal(str(value)):,.2f}"


def wc_price(value: str | Decimal, hidden: bool = False) -> str:
    aria = ' aria-hidden="true"' if hidden else ""
    return (
        f'<span class="woocommerce-Price-amount amount"{aria}><bdi>'
        f'<span class="woocommerce-Price-currencySymbol">&#36;</span>{_amount(value)}</bdi></span>'
    )


def _on_sale(p: Product) -> bool:
    return p.sale_price != "" and (
        p.regular_price == "" or Decimal(p.sale_price) < Decimal(p.regular_price)
    )


def _simple_price_html(p: Product) -> str:
    if p.price == "":
        return ""
    if _on_sale(p):
        regular, sale = wc_price(p.regular_price), wc_price(p.sale_price)
        return (
            f'<del aria-hidden="true">{regular}</del> <span class="screen-reader-text">'
            f"Original price was: &#36;{_amount(p.regular_price)}.</span>"
            f'<ins aria-hidden="true">{sale}</ins><span class="screen-reader-text">'
            f"Current price is: &#36;{_amount(p.sale_price)}.</span>"
        )
    return wc_price(p.price)


def _variable_prices(store: Store, p: Product) -> list[Decimal]:
    return sorted(
        Decimal(v.price) for v in store.children(p) if v.status == "publish" and v.price != ""
    )


def _price_html(store: Store, p: Product) -> str:
    if p.type != "variable":
        return _simple_price_html(p)
    prices = _variable_prices(store, p)
    if not prices:
        return ""
    low, high = prices[0], prices[-1]
    if low == high:
        return wc_price(low)
    return (
        f'{wc_price(low, True)} <span aria-hidden="true">&ndash;</span> {wc_price(high, True)}'
        f'<span class="screen-reader-text">Price range: &#36;{_amount(low)} through '
        f"&#36;{_amount(high)}</span>"
    )


def _purchasable(store: Store, p: Product) -> bool:
    if p.status == "trash":
        return False
    if p.type == "variable":
        return bool(_variable_prices(store, p))
    return p.price != ""


def _stock_fields(p: Product) -> dict:
    allowed = p.backorders in ("yes", "notify")
    qty = p.stock_quantity if p.manage_stock else None
    return {
        "manage_stock": p.manage_stock,
        "stock_quantity": qty,
        "backorders": p.backorders,
        "backorders_allowed": allowed,
        "backordered": bool(p.manage_stock and allowed and (qty or 0) < 0),
        "low_stock_amount": p.low_stock_amount,
    }


def _sale_dates() -> dict:
    return {
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
    }


def _dates(created: int, modified: int) -> dict:
    return {
        "date_created": wp_date(created),
        "date_created_gmt": wp_date(created),
        "date_modified": wp_date(modified),
        "date_modified_gmt": wp_date(modified),
    }


def _self_links(href: str, collection: str, up: str | None = None) -> dict:
    links = {
        "self": [{"href": href, "targetHints": {"allow": list(ALL_METHODS)}}],
        "collection": [{"href": collection}],
    }
    if up:
        links["up"] = [{"href": up}]
    return links


def product_permalink(store: Store, p: Product, base: str) -> str:
    if p.is_variation:
        parent = store.parent_of(p)
        query = "&".join(
            f"attribute_{rawurlencode(sanitize_title(a['name']))}={rawurlencode(a['option'])}"
            for a in p.attributes
            if a["option"]
        )
        url = f"{base}/product/{parent.slug}/"
        return f"{url}?{query}" if query else url
    return f"{base}/product/{p.slug}/"


def product_json(store: Store, p: Product, base: str, context: str = "view") -> dict:
    """``/wc/v3/products/<id>``; a variation id gets the product-shaped variation (webhooks too)."""
    api = f"{base}/wp-json/wc/v3/products"
    view = context == "view"
    variation = p.is_variation
    parent = store.parent_of(p) if variation else None
    if variation:
        attributes = [
            {"id": 0, "name": a["name"], "slug": sanitize_title(a["name"]), "option": a["option"]}
            for a in p.attributes
        ]
    else:
        attributes = [
            {
                "id": 0,
                "name": a["name"],
                "slug": a["name"],
                "position": a["position"],
                "visible": a["visible"],
                "variation": a["variation"],
                "options": list(a["options"]),
            }  # fmt: skip
            for a in p.attributes
        ]
    price = p.price
    if p.type == "variable":
        prices = _variable_prices(store, p)
        price = f"{prices[0]}" if prices else ""
    tax_class = p.tax_class
    if variation and tax_class == "parent":
        tax_class = parent.tax_class
    data = {
        "id": p.id,
        "name": p.name,
        "slug": p.slug,
        "permalink": product_permalink(store, p, base),
        **_dates(p.date_created, p.date_modified),
        "type": p.type,
        "status": p.status,
        "featured": p.featured,
        "catalog_visibility": parent.catalog_visibility if variation else p.catalog_visibility,
        "description": wpautop(p.description) if view else p.description,
        "short_description": wpautop(p.short_description) if view else p.short_description,
        "sku": p.sku,
        "price": price,
        "regular_price": p.regular_price,
        "sale_price": p.sale_price,
        **_sale_dates(),
        "on_sale": _on_sale(p),
        "purchasable": _purchasable(store, p),
        # A variation's total_sales meta is never written; PHP hands back the string default.
        "total_sales": "0" if variation else p.total_sales,
        "virtual": p.virtual,
        "downloadable": p.downloadable,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": p.tax_status,
        "tax_class": tax_class,
        **_stock_fields(p),
        "sold_individually": False,
        "weight": p.weight,
        "dimensions": dict(p.dimensions),
        "shipping_required": not p.virtual,
        "shipping_taxable": not p.virtual and p.tax_status in ("taxable", "shipping"),
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": p.reviews_allowed,
        "average_rating": "0.00" if view else "0",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": p.parent_id,
        "purchase_note": p.purchase_note,
        "categories": store.product_categories(p),
        "brands": [],
        "tags": [],
        "images": [],
        "attributes": attributes,
        "default_attributes": [],
        "variations": [v.id for v in store.children(p)] if p.type == "variable" else [],
        "grouped_products": [],
        "menu_order": p.menu_order,
        "price_html": _price_html(store, p),
        "related_ids": list(p.related_ids),
        "meta_data": list(p.meta_data),
        "stock_status": p.stock_status,
        "has_options": p.type == "variable",
        "post_password": "",
        "global_unique_id": p.global_unique_id,
    }
    if not view:
        data["permalink_template"] = f"{base}/product/%pagename%/"
        data["generated_slug"] = p.slug
    up = f"{api}/{p.parent_id}" if variation else None
    data["_links"] = _self_links(f"{api}/{p.id}", api, up)
    return data


def variation_json(store: Store, v: Product, base: str, context: str = "view") -> dict:
    """``/wc/v3/products/<id>/variations/<id>``, keys in the captured order."""
    parent = store.parent_of(v)
    api = f"{base}/wp-json/wc/v3/products/{parent.id}"
    view = context == "view"
    stock = _stock_fields(v)
    tax_class = v.tax_class
    if view and tax_class == "parent":
        tax_class = parent.tax_class
    data = {
        "id": v.id,
        "type": "variation",
        **_dates(v.date_created, v.date_modified),
        "description": wpautop(v.description) if view else v.description,
        "permalink": product_permalink(store, v, base),
        "sku": v.sku,
        "global_unique_id": v.global_unique_id,
        "price": v.price,
        "regular_price": v.regular_price,
        "sale_price": v.sale_price,
        **_sale_dates(),
        "on_sale": _on_sale(v),
        "status": v.status,
        "purchasable": _purchasable(store, v),
        "virtual": v.virtual,
        "downloadable": v.downloadable,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": v.tax_status,
        "tax_class": tax_class,
        "manage_stock": stock["manage_stock"],
        "stock_quantity": stock["stock_quantity"],
        "stock_status": v.stock_status,
        "backorders": stock["backorders"],
        "backorders_allowed": stock["backorders_allowed"],
        "backordered": stock["backordered"],
        "low_stock_amount": stock["low_stock_amount"],
        "weight": v.weight,
        "dimensions": dict(v.dimensions),
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": None,
        "attributes": [
            {"id": 0, "name": a["name"], "slug": sanitize_title(a["name"]), "option": a["option"]}
            for a in v.attributes
        ],
        "menu_order": v.menu_order,
        "meta_data": list(v.meta_data),
        "name": ", ".join(a["option"] for a in v.attributes if a["option"]),
        "parent_id": parent.id,
        "_links": _self_links(f"{api}/variations/{v.id}", f"{api}/variations", api),
    }
    return data


def _line_price(item) -> int | float:
    """PHP ``"78" / 2`` is int 39 while ``"19.99" / 1`` is float 19.99."""
    if not item.quantity:
        return 0
    total = item.total.normalize()
    if total == total.to_integral_value() and int(total) % item.quantity == 0:
        return int(total) // item.quantity
    return float(item.total / item.quantity)


def order_json(store: Store, o: Order, base: str) -> dict:
    """``/wc/v3/orders/<id>``, keys in the captured order (legacy post storage)."""
    api = f"{base}/wp-json/wc/v3/orders"
    total = sum((li.total for li in o.line_items), Decimal("0"))
    items = []
    for li in o.line_items:
        items.append(
            {
                "id": li.id,
                "name": li.name,
                "product_id": li.product_id,
                "variation_id": li.variation_id,
                "quantity": li.quantity,
                "tax_class": "",
                "subtotal": f"{li.subtotal:.2f}",
                "subtotal_tax": "0.00",
                "total": f"{li.total:.2f}",
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [
                    {
                        "id": m.id,
                        "key": m.key,
                        "value": m.value,
                        "display_key": m.display_key,
                        "display_value": m.display_value,
                    }  # fmt: skip
                    for m in li.meta
                ],
                "sku": li.sku,
                "price": _line_price(li),
                # Observed: a simple product's image id is "" but a variation's is 0.
                "image": {"id": 0 if li.variation_id else "", "src": ""},
                "parent_name": li.parent_name,
            }
        )
    paid = wp_date(o.date_paid) if o.date_paid else None
    completed = wp_date(o.date_completed) if o.date_completed else None
    return {
        "id": o.id,
        "parent_id": 0,
        "status": o.status,
        "currency": o.currency,
        "version": "10.0.2",
        "prices_include_tax": False,
        "date_created": wp_date(o.date_created),
        "date_modified": wp_date(o.date_modified),
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "0.00",
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": f"{total:.2f}",
        "total_tax": "0.00",
        "customer_id": o.customer_id,
        "order_key": o.order_key,
        "billing": dict(o.billing),
        "shipping": dict(o.shipping),
        "payment_method": o.payment_method,
        "payment_method_title": o.payment_method_title,
        "transaction_id": o.transaction_id,
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": o.created_via,
        "customer_note": o.customer_note,
        "date_completed": completed,
        "date_paid": paid,
        "cart_hash": "",
        "number": str(o.id),
        "meta_data": list(o.meta_data),
        "line_items": items,
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
        "payment_url": f"{base}/checkout/order-pay/{o.id}/?pay_for_order=true&key={o.order_key}",
        "is_editable": o.status in ("pending", "on-hold", "auto-draft", "checkout-draft"),
        "needs_payment": o.status in ("pending", "failed") and total > 0,
        "needs_processing": True,
        "date_created_gmt": wp_date(o.date_created),
        "date_modified_gmt": wp_date(o.date_modified),
        "date_completed_gmt": completed,
        "date_paid_gmt": paid,
        "currency_symbol": "$",
        "_links": {
            **_self_links(f"{api}/{o.id}", api),
            "email_templates": [
                {"embeddable": True, "href": f"{api}/{o.id}/actions/email_templates"}
            ],
        },
    }


def note_json(o: Order, n: OrderNote, base: str) -> dict:
    api = f"{base}/wp-json/wc/v3/orders/{o.id}"
    return {
        "id": n.id,
        "author": n.author,
        "date_created": wp_date(n.date_created),
        "date_created_gmt": wp_date(n.date_created),
        "note": n.note,
        "customer_note": n.customer_note,
        "_links": {
            "self": [{"href": f"{api}/notes/{n.id}", "targetHints": {"allow": ["GET", "DELETE"]}}],
            "collection": [{"href": f"{api}/notes"}],
            "up": [{"href": api}],
        },
    }
