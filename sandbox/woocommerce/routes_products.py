"""``/wc/v3/products``, ``/products/<id>``, ``/products/batch`` and the variations routes."""

from __future__ import annotations

from decimal import Decimal

from .models import Product, WCError
from .render import product_json, variation_json
from .rest import (
    BATCH_KINDS,
    COLLECTION_KINDS,
    ITEM_KINDS,
    RestRequest,
    RestResponse,
    enum_arg,
    id_list,
    int_arg,
    item_methods,
    paginate,
    route,
)
from .store import as_bool

BATCH_LIMIT = 100  # woocommerce_rest_batch_items_limit
PRODUCT_ORDERBY = [
    "date", "id", "include", "title", "slug", "modified", "popularity", "rating", "post__in",
    "price", "sales", "menu_order", "random",
]  # fmt: skip
VARIATION_ORDERBY = ["date", "id", "include", "title", "slug", "modified", "menu_order"]
POST_STATUSES = ["any", "future", "trash", "draft", "pending", "private", "publish"]
PRODUCT_TYPES = ["simple", "grouped", "external", "variable"]
STOCK_STATUSES = ["instock", "outofstock", "onbackorder"]
CATALOG_VISIBILITIES = ["visible", "catalog", "search", "hidden"]
BACKORDERS = ["no", "notify", "yes"]


def _check_enums(req: RestRequest, variation: bool = False) -> None:
    """The route's arg schema (``rest_invalid_param`` on a value outside the enum).

    Batch items are not validated against it: WooCommerce hands them to the handlers as they are.
    """
    enum_arg(req, "backorders", None, BACKORDERS)
    enum_arg(req, "stock_status", None, STOCK_STATUSES)
    if not variation:  # variations inherit their parent's catalog visibility
        enum_arg(req, "catalog_visibility", None, CATALOG_VISIBILITIES)


def _sort_key(orderby: str, include: list[int]):
    keys = {
        "id": lambda p: p.id,
        "title": lambda p: (p.name.lower(), p.id),
        "slug": lambda p: (p.slug, p.id),
        "modified": lambda p: (p.date_modified, p.id),
        "include": lambda p: include.index(p.id) if p.id in include else len(include),
        "post__in": lambda p: include.index(p.id) if p.id in include else len(include),
        "price": lambda p: (Decimal(p.price or "0"), p.id),
        "popularity": lambda p: (p.total_sales, p.id),
        "sales": lambda p: (p.total_sales, p.id),
        "menu_order": lambda p: (p.menu_order, p.name.lower()),
    }
    return keys.get(orderby, lambda p: (p.date_created, p.id))  # "date ID"


def _filter(req: RestRequest, items: list[Product], orderby_choices: list[str]) -> list[Product]:
    status = enum_arg(req, "status", "any", POST_STATUSES)
    order = enum_arg(req, "order", "desc", ["asc", "desc"])
    orderby = enum_arg(req, "orderby", "date", orderby_choices)
    stock_status = enum_arg(req, "stock_status", None, STOCK_STATUSES)
    include, exclude = id_list(req.get("include")), id_list(req.get("exclude"))
    if status == "any":
        items = [p for p in items if p.status not in ("trash", "auto-draft")]
    else:
        items = [p for p in items if p.status == status]
    if req.get("sku"):
        skus = [s.strip() for s in str(req.get("sku")).split(",")]
        items = [p for p in items if p.sku in skus]
    if req.get("search"):
        needle = str(req.get("search")).lower()
        items = [
            p
            for p in items
            if needle in p.name.lower()
            or needle in p.description.lower()
            or needle in p.short_description.lower()
        ]
    if req.get("slug"):
        items = [p for p in items if p.slug == req.get("slug")]
    if stock_status:
        items = [p for p in items if p.stock_status == stock_status]
    if include:
        items = [p for p in items if p.id in include]
    if exclude:
        items = [p for p in items if p.id not in exclude]
    return sorted(items, key=_sort_key(orderby, include), reverse=order == "desc")


def _checked(req: RestRequest, variation: bool = False) -> RestRequest:
    _check_enums(req, variation)
    return req


def _error_item(item_id, error: WCError) -> dict:
    return {
        "id": item_id,
        "error": {"code": error.code, "message": error.message, "data": error.body()["data"]},
    }


def batch_items(req: RestRequest) -> dict:
    """``WC_REST_Controller::check_batch_limit`` and the non-empty create/update/delete lists."""
    items = {k: req.body.get(k) for k in ("create", "update", "delete") if req.body.get(k)}
    total = sum(len(v) for v in items.values() if isinstance(v, list))
    if total > BATCH_LIMIT:
        raise WCError(
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            413,
        )
    return items


def build(sb) -> list:
    """Routes bound to a :class:`~sandbox.woocommerce.WooSandbox`."""
    store = sb.store

    def ctx(req: RestRequest, default: str = "view") -> str:
        return enum_arg(req, "context", default, ["view", "edit"])

    # ------------------------------------------------------------------ products

    def list_products(req: RestRequest) -> RestResponse:
        per_page = int_arg(req, "per_page", 10, 1, 100)
        page = int_arg(req, "page", 1, 1)
        ptype = enum_arg(req, "type", None, PRODUCT_TYPES)
        context = ctx(req)
        with store.lock:
            items = [p for p in store.products.values() if not p.is_variation]
            if ptype:
                items = [p for p in items if p.type == ptype]
            items = _filter(req, items, PRODUCT_ORDERBY)
            return paginate(
                req, items, lambda p: product_json(store, p, req.home, context), per_page, page
            )

    def get_product(req: RestRequest) -> RestResponse:
        context = ctx(req)
        with store.lock:
            p = store.products.get(int(req.url_params["id"]))
            if p is None:
                raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            return RestResponse(product_json(store, p, req.home, context))

    def create_product(req: RestRequest, data: dict | None = None) -> RestResponse:
        data = req.params if data is None else data
        if data.get("id"):
            raise WCError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
        with store.tx():
            p = store.create_product(data)
            body = product_json(store, p, req.home, "edit")
        location = f"{req.home}/wp-json/wc/v3/products/{p.id}"
        return RestResponse(body, 201, [("Location", location)])

    def update_product(req: RestRequest, data: dict | None = None) -> RestResponse:
        data = req.params if data is None else data
        with store.tx():
            p = store.products.get(int(data.get("id") or 0))
            if p is None:
                raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 400)
            store.update_product(p, data)
            return RestResponse(product_json(store, p, req.home, "edit"))

    def delete_product(req: RestRequest, product_id: int | None = None, force=None):
        product_id = int(req.url_params["id"]) if product_id is None else product_id
        force = as_bool(req.get("force", False)) if force is None else force
        with store.tx():
            p = store.products.get(product_id)
            if p is None:
                raise WCError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
            body = product_json(store, p, req.home, "edit")
            if force:
                store.delete_product(p)
            else:
                store.trash_product(p)
            return RestResponse(body)

    def run_batch(req: RestRequest, create, update, delete) -> RestResponse:
        """WooCommerce's batch: create, update, delete in that order; per-item errors in a 200."""
        items = batch_items(req)
        out: dict[str, list] = {}
        with store.tx():
            for raw in items.get("create", []):
                try:
                    out.setdefault("create", []).append(create(req, dict(raw)).data)
                except WCError as e:
                    out["create"].append(_error_item(0, e))
            for raw in items.get("update", []):
                try:
                    out.setdefault("update", []).append(update(req, dict(raw)).data)
                except WCError as e:
                    out["update"].append(_error_item(raw.get("id"), e))
            for raw_id in items.get("delete", []):
                if not int(raw_id or 0):
                    continue
                try:
                    out.setdefault("delete", []).append(delete(req, int(raw_id), True).data)
                except WCError as e:
                    out.setdefault("delete", []).append(_error_item(int(raw_id), e))
        return RestResponse(out)

    def batch_products(req: RestRequest) -> RestResponse:
        return run_batch(req, create_product, update_product, delete_product)

    # ------------------------------------------------------------------ variations

    def parent_of(req: RestRequest) -> Product:
        parent = store.product(int(req.url_params["product_id"]))
        if parent is None:
            raise WCError(
                "woocommerce_rest_product_variation_invalid_parent",
                "Cannot set attributes due to invalid parent product.",
                404,
            )
        return parent

    def variation_of(req: RestRequest, variation_id: int, status: int) -> Product:
        v = store.variation(variation_id, int(req.url_params["product_id"]))
        if v is None:
            raise WCError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status)
        return v

    def list_variations(req: RestRequest) -> RestResponse:
        per_page = int_arg(req, "per_page", 10, 1, 100)
        page = int_arg(req, "page", 1, 1)
        context = ctx(req)
        with store.lock:
            parent = store.product(int(req.url_params["product_id"]))
            items = store.children(parent) if parent else []
            items = _filter(req, items, VARIATION_ORDERBY)
            return paginate(
                req, items, lambda v: variation_json(store, v, req.home, context), per_page, page
            )

    def get_variation(req: RestRequest) -> RestResponse:
        context = ctx(req)
        with store.lock:
            v = variation_of(req, int(req.url_params["id"]), 404)
            return RestResponse(variation_json(store, v, req.home, context))

    def create_variation(req: RestRequest, data: dict | None = None) -> RestResponse:
        data = req.params if data is None else data
        if data.get("id"):
            raise WCError(
                "woocommerce_rest_product_variation_exists",
                "Cannot create existing product_variation.",
                400,
            )
        with store.tx():
            v = store.create_variation(parent_of(req), data)
            body = variation_json(store, v, req.home, "edit")
        # The real store builds this from the unexpanded route regex.
        location = f"{req.home}/wp-json/wc/v3/products/(?P<product_id>[\\d]+)/variations/{v.id}"
        return RestResponse(body, 201, [("Location", location)])

    def update_variation(req: RestRequest, data: dict | None = None) -> RestResponse:
        data = req.params if data is None else data
        with store.tx():
            v = variation_of(req, int(data.get("id") or 0), 400)
            store.update_product(v, data)
            return RestResponse(variation_json(store, v, req.home, "edit"))

    def delete_variation(req: RestRequest, variation_id: int | None = None, force=None):
        variation_id = int(req.url_params["id"]) if variation_id is None else variation_id
        force = as_bool(req.get("force", False)) if force is None else force
        with store.tx():
            v = variation_of(req, variation_id, 404)
            body = variation_json(store, v, req.home, "edit")
            if force:
                store.delete_product(v)
            else:
                store.trash_product(v)
            return RestResponse(body)

    def batch_variations(req: RestRequest) -> RestResponse:
        return run_batch(req, create_variation, update_variation, delete_variation)

    def product_exists(req: RestRequest) -> bool:
        return int(req.url_params["id"]) in store.products

    def variation_exists(req: RestRequest) -> bool:
        return store.variation(int(req.url_params["id"])) is not None

    return [
        route(
            "products",
            {"GET": list_products, "POST": lambda r: create_product(_checked(r))},
            COLLECTION_KINDS,
        ),
        route("products/batch", dict.fromkeys(BATCH_KINDS, batch_products), BATCH_KINDS),
        route(
            r"products/(?P<id>\d+)",
            item_methods(
                get_product, lambda r: update_product(_checked(r)), lambda r: delete_product(r)
            ),
            ITEM_KINDS,
            product_exists,
        ),
        route(
            r"products/(?P<product_id>\d+)/variations",
            {"GET": list_variations, "POST": lambda r: create_variation(_checked(r, True))},
            COLLECTION_KINDS,
        ),
        route(
            r"products/(?P<product_id>\d+)/variations/batch",
            dict.fromkeys(BATCH_KINDS, batch_variations),
            BATCH_KINDS,
        ),
        route(
            r"products/(?P<product_id>\d+)/variations/(?P<id>\d+)",
            item_methods(
                get_variation,
                lambda r: update_variation(_checked(r, True)),
                lambda r: delete_variation(r),
            ),
            ITEM_KINDS,
            variation_exists,
        ),
    ]
