"""``/wc/v3/orders`` (+ notes) and ``/wc/v3/webhooks``."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from urllib.parse import urlsplit

from .models import WCError
from .render import note_json, order_json
from .rest import (
    COLLECTION_KINDS,
    ITEM_KINDS,
    RestRequest,
    RestResponse,
    date_arg,
    enum_arg,
    id_list,
    int_arg,
    item_methods,
    paginate,
    route,
)
from .store import as_bool
from .webhooks import STATUSES, is_valid_topic, webhook_json

ORDER_STATUSES = [
    "any", "trash", "auto-draft", "pending", "processing", "on-hold", "completed", "cancelled",
    "refunded", "failed", "checkout-draft",
]  # fmt: skip
ORDER_ORDERBY = ["date", "id", "include", "title", "slug", "modified"]
WRITABLE_STATUSES = [
    "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
    "checkout-draft",
]  # fmt: skip


def _valid_url(url: str) -> bool:
    """``wc_is_valid_url``."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _password(length: int = 50) -> str:
    """``wp_generate_password( 50, true, true )``."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()-_ []{}<>~`+=,.;:/?|"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def build(sb) -> list:
    store, orders, hooks = sb.store, sb.orders, sb.dispatcher

    # ------------------------------------------------------------------ orders

    def list_orders(req: RestRequest) -> RestResponse:
        per_page = int_arg(req, "per_page", 10, 1, 100)
        page = int_arg(req, "page", 1, 1)
        order = enum_arg(req, "order", "desc", ["asc", "desc"])
        orderby = enum_arg(req, "orderby", "date", ORDER_ORDERBY)
        raw_status = req.get("status", "any")
        statuses = (
            list(raw_status.values())
            if isinstance(raw_status, dict)
            else str(raw_status).split(",")
        )
        for status in statuses:
            enum_arg(
                RestRequest("GET", "", {}, {"status": status}, {}, ""),
                "status",
                None,
                ORDER_STATUSES,
            )
        include = id_list(req.get("include"))
        # WP date_query bounds are exclusive: "after" and "before" the created time,
        # "modified_after" and "modified_before" the modified time.
        bounds = [
            (attr, date_arg(req, name), sign)
            for name, attr, sign in (
                ("after", "date_created", 1),
                ("before", "date_created", -1),
                ("modified_after", "date_modified", 1),
                ("modified_before", "date_modified", -1),
            )
        ]
        with store.lock:
            items = list(store.orders.values())
            for attr, bound, sign in bounds:
                if bound is not None:
                    items = [o for o in items if (getattr(o, attr) - bound) * sign > 0]
            if "any" in statuses:
                items = [o for o in items if o.status != "trash"]
            else:
                items = [o for o in items if o.status in statuses]
            if include:
                items = [o for o in items if o.id in include]
            if req.get("customer") not in (None, ""):
                items = [o for o in items if o.customer_id == int(req.get("customer"))]
            if req.get("product") not in (None, ""):
                pid = int(req.get("product"))
                items = [
                    o
                    for o in items
                    if any(pid in (li.product_id, li.variation_id) for li in o.line_items)
                ]
            if orderby == "id":
                key = lambda o: o.id  # noqa: E731
            elif orderby == "modified":
                key = lambda o: (o.date_modified, o.id)  # noqa: E731
            else:
                key = lambda o: (o.date_created, o.id)  # noqa: E731
            items.sort(key=key, reverse=order == "desc")
            return paginate(req, items, lambda o: order_json(store, o, req.home), per_page, page)

    def get_order(req: RestRequest) -> RestResponse:
        with store.lock:
            o = store.orders.get(int(req.url_params["id"]))
            if o is None:
                raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            return RestResponse(order_json(store, o, req.home))

    def create_order(req: RestRequest) -> RestResponse:
        if req.get("id"):
            raise WCError(
                "woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400
            )
        enum_arg(req, "status", None, WRITABLE_STATUSES)
        with store.tx():
            o = orders.create(req.params)
            body = order_json(store, o, req.home)
        return RestResponse(body, 201, [("Location", f"{req.home}/wp-json/wc/v3/orders/{o.id}")])

    def update_order(req: RestRequest) -> RestResponse:
        enum_arg(req, "status", None, WRITABLE_STATUSES)
        with store.tx():
            o = store.orders.get(int(req.url_params["id"]))
            if o is None:
                raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 400)
            params = {k: v for k, v in req.params.items() if k != "id"}
            orders.update(o, params)
            return RestResponse(order_json(store, o, req.home))

    def delete_order(req: RestRequest) -> RestResponse:
        force = as_bool(req.get("force", False))
        with store.tx():
            o = store.orders.get(int(req.url_params["id"]))
            if o is None:
                raise WCError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            body = order_json(store, o, req.home)
            if force:
                orders.delete(o)
            else:
                orders.trash(o)
            return RestResponse(body)

    def list_notes(req: RestRequest) -> RestResponse:
        kind = enum_arg(req, "type", "any", ["any", "customer", "internal"])
        with store.lock:
            o = store.orders.get(int(req.url_params["order_id"]))
            if o is None:
                raise WCError("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            notes = [
                n
                for n in sorted(o.notes, key=lambda n: n.id)
                if kind == "any" or n.customer_note == (kind == "customer")
            ]
            return RestResponse([note_json(o, n, req.home) for n in notes])

    def order_exists(req: RestRequest) -> bool:
        return int(req.url_params["id"]) in store.orders

    # ------------------------------------------------------------------ webhooks

    def list_webhooks(req: RestRequest) -> RestResponse:
        per_page = int_arg(req, "per_page", 10, 1, 100)
        page = int_arg(req, "page", 1, 1)
        order = enum_arg(req, "order", "desc", ["asc", "desc"])
        orderby = enum_arg(req, "orderby", "date", ["date", "id", "title"])
        status = enum_arg(req, "status", "all", ["all", *STATUSES])
        with store.lock:
            items = [w for w in hooks.webhooks if status == "all" or w.status == status]
            if req.get("search"):
                items = [w for w in items if str(req.get("search")).lower() in w.name.lower()]
            include, exclude = id_list(req.get("include")), id_list(req.get("exclude"))
            items = [w for w in items if (not include or w.id in include) and w.id not in exclude]
            if orderby == "title":
                key = lambda w: (w.name.lower(), w.id)  # noqa: E731
            elif orderby == "id":
                key = lambda w: w.id  # noqa: E731
            else:
                key = lambda w: (w.date_created, w.id)  # noqa: E731
            items.sort(key=key, reverse=order == "desc")
            return paginate(req, items, lambda w: webhook_json(w, req.home), per_page, page)

    def webhook_or_error(req: RestRequest, message: str, status: int):
        wh = hooks.get(int(req.url_params["id"]))
        if wh is None:
            raise WCError("woocommerce_rest_shop_webhook_invalid_id", message, status)
        return wh

    def get_webhook(req: RestRequest) -> RestResponse:
        with store.lock:
            return RestResponse(
                webhook_json(webhook_or_error(req, "ID is invalid.", 400), req.home)
            )

    def create_webhook(req: RestRequest) -> RestResponse:
        missing = [p for p in ("topic", "delivery_url") if req.get(p) is None]
        if missing:
            raise WCError(
                "rest_missing_callback_param",
                f"Missing parameter(s): {', '.join(missing)}",
                400,
                params=missing,
            )
        status = enum_arg(req, "status", "active", list(STATUSES))
        if req.get("id"):
            raise WCError(
                "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.", 400
            )
        topic = str(req.get("topic") or "").strip()
        if not topic or not is_valid_topic(topic.lower()):
            raise WCError(
                "woocommerce_rest_shop_webhook_invalid_topic",
                "Webhook topic is required and must be valid.",
                400,
            )
        url = str(req.get("delivery_url") or "")
        if not url or not _valid_url(url):
            raise WCError(
                "woocommerce_rest_shop_webhook_invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
                400,
            )
        name = req.get("name") or dt.datetime.now(dt.UTC).strftime(
            "Webhook created on %b %d, %Y @ %I:%M %p"
        )
        with store.tx():
            wh = hooks.create(
                topic=topic,
                delivery_url=url,
                secret=str(req.get("secret") or _password()),
                name=str(name),
                status=status,
            )
            body = webhook_json(wh, req.home)
        hooks.ping(wh)  # synchronous, after the response was prepared, without the lock
        location = f"{req.home}/wp-json/wc/v3/webhooks/{wh.id}"
        return RestResponse(body, 201, [("Location", location)])

    def update_webhook(req: RestRequest) -> RestResponse:
        with store.tx():
            wh = webhook_or_error(req, "ID is invalid.", 400)
            topic = req.get("topic")
            if topic:
                if not is_valid_topic(str(topic).lower()):
                    raise WCError(
                        "woocommerce_rest_shop_webhook_invalid_topic",
                        "Webhook topic must be valid.",
                        400,
                    )
                wh.topic = str(topic)
            url = req.get("delivery_url")
            if url:
                if not _valid_url(str(url)):
                    raise WCError(
                        "woocommerce_rest_shop_webhook_invalid_delivery_url",
                        "Webhook delivery URL must be a valid URL starting with http:// or https://.",
                        400,
                    )
                wh.delivery_url = str(url)
            if req.get("secret"):
                wh.secret = str(req.get("secret"))
            status = req.get("status")
            if status:
                if str(status).lower() not in STATUSES:
                    raise WCError(
                        "woocommerce_rest_shop_webhook_invalid_status",
                        "Webhook status must be valid.",
                        400,
                    )
                wh.status = str(status).lower()
            if req.get("name"):
                wh.name = str(req.get("name"))
            hooks.saved(wh)
            return RestResponse(webhook_json(wh, req.home))

    def delete_webhook(req: RestRequest) -> RestResponse:
        if not as_bool(req.get("force", False)):
            raise WCError(
                "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501
            )
        with store.tx():
            wh = webhook_or_error(req, "Invalid ID.", 404)
            body = webhook_json(wh, req.home)
            hooks.delete(wh)
            return RestResponse(body)

    return [
        route("orders", {"GET": list_orders, "POST": create_order}, COLLECTION_KINDS),
        route(
            r"orders/(?P<id>\d+)",
            item_methods(get_order, update_order, delete_order),
            ITEM_KINDS,
            order_exists,
        ),
        route(r"orders/(?P<order_id>\d+)/notes", {"GET": list_notes}, COLLECTION_KINDS),
        route("webhooks", {"GET": list_webhooks, "POST": create_webhook}, COLLECTION_KINDS),
        route(
            r"webhooks/(?P<id>\d+)",
            item_methods(get_webhook, update_webhook, delete_webhook),
            ITEM_KINDS,
        ),
    ]
