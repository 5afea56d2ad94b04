"""The shopper's side of a sandbox store: theme pages that render the real theme app extension.

``GET https://{shop}/products/{handle}`` and ``GET /collections/all`` answer minimal theme pages
(``?locale=fr|en|ar`` picks ``<html lang>``) in which the StockGuard extension's own Liquid
files, ``extensions/stockguard/blocks/availability.liquid`` (app block, product page) and
``blocks/app-embed.liquid`` (app embed, every page), are rendered by python-liquid with the
Liquid objects they use, as Shopify would. ``asset_url`` points at ``/cdn/stockguard/assets/``,
which serves the extension's ``assets/`` folder the way Shopify's CDN does. So a browser test
loads the markup merchants' stores really get, and the script from the extension itself.

Product cards on the collection page carry the placeholder a merchant pastes into the theme's
card snippet (app blocks can't reach inside product cards), as docs/storefront.md shows.
"""

from __future__ import annotations

import json
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request, send_from_directory
from liquid import Environment, Tag
from liquid.ast import Node
from liquid.filter import string_filter, with_context
from liquid.token import TOKEN_EOF, TOKEN_TAG

if TYPE_CHECKING:
    from .catalog import Product, Variant
    from .state import Shop

EXTENSION = Path(__file__).resolve().parents[2] / "extensions" / "stockguard"
ASSETS_PATH = "/cdn/stockguard/assets/"
LOCALES = ("en", "fr", "ar")

# ------------------------------------------------------------------ Liquid as Shopify speaks it


class _BodyNode(Node):
    """A block whose body Shopify reads itself (``schema``) or bundles (``javascript``)."""

    __slots__ = ("text",)

    def __init__(self, token, text: str):
        super().__init__(token)
        self.text = text

    def __str__(self) -> str:
        return ""

    def render_to_output(self, context, buffer) -> int:
        return 0  # never part of the page


def _body_tag(tag_name: str) -> type[Tag]:
    class BodyTag(Tag):
        name = tag_name
        end = "end" + tag_name

        def parse(self, stream) -> Node:
            token = stream.eat(TOKEN_TAG)
            text: list[str] = []
            while not (stream.current.kind == TOKEN_TAG and stream.current.value == self.end):
                if stream.current.kind == TOKEN_EOF:
                    raise SyntaxError(f"{tag_name} tag was never closed")
                text.append(stream.current.value)
                next(stream)
            return _BodyNode(token, "".join(text))

    BodyTag.__name__ = f"{tag_name.title()}Tag"
    return BodyTag


_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


@string_filter
def escape(value: str) -> str:
    """Shopify's ``escape`` (Ruby's ``CGI.escapeHTML``): ``"`` becomes ``&quot;``."""
    return re.sub(r"[&<>\"']", lambda m: _HTML_ESCAPES[m.group(0)], value)


@with_context
@string_filter
def asset_url(value: str, *, context) -> str:
    """A protocol-relative CDN URL, as Shopify gives for a theme app extension's assets."""
    return f"//{context.resolve('request').get('host')}{ASSETS_PATH}{value}"


def money(cents: object) -> str:
    """Cents → ``19.99`` (the shop's money format is out of scope here)."""
    return f"{Decimal(int(cents or 0)) / 100:.2f}"


def liquid_environment() -> Environment:
    """An environment with the Shopify tags and filters the extension's blocks use."""
    env = Environment()
    for name in ("schema", "javascript", "stylesheet"):
        env.add_tag(_body_tag(name))
    env.add_filter("escape", escape)
    env.add_filter("asset_url", asset_url)
    env.add_filter("money", money)
    return env


ENV = liquid_environment()
_templates: dict[Path, tuple[float, Any]] = {}
_templates_lock = threading.Lock()


def block_template(name: str):
    """The extension's ``blocks/{name}.liquid``, parsed (re-read when the file changes)."""
    path = EXTENSION / "blocks" / f"{name}.liquid"
    mtime = path.stat().st_mtime
    with _templates_lock:
        cached = _templates.get(path)
        if cached is None or cached[0] != mtime:
            cached = (mtime, ENV.from_string(path.read_text(encoding="utf-8")))
            _templates[path] = cached
        return cached[1]


def block_schema(name: str) -> dict:
    """The JSON inside a block's ``{% schema %}`` tag."""
    source = (EXTENSION / "blocks" / f"{name}.liquid").read_text(encoding="utf-8")
    match = re.search(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", source, re.S)
    if match is None:
        raise ValueError(f"blocks/{name}.liquid has no schema")
    return json.loads(match.group(1))


def default_settings(name: str) -> dict[str, Any]:
    """``block.settings`` as a merchant who changed nothing has them."""
    return {s["id"]: s.get("default") for s in block_schema(name)["settings"] if "id" in s}


# ------------------------------------------------------------------ Liquid objects


def variant_drop(variant: Variant) -> dict[str, Any]:
    """Shopify's ``variant`` object, the fields themes and our blocks read."""
    item = variant.inventory_item
    quantity = variant.inventory_quantity()
    return {
        "id": variant.legacy_id,
        "title": variant.title,
        "price": int(Decimal(variant.price) * 100),  # Liquid prices are in cents
        "sku": variant.sku,
        # Sellable: untracked, "continue selling when out of stock", or stock left.
        "available": (not item.tracked or variant.inventory_policy == "CONTINUE" or quantity > 0),
        "inventory_management": "shopify" if item.tracked else None,
        "inventory_policy": variant.inventory_policy.lower(),
        "inventory_quantity": quantity,
    }


def product_drop(product: Product, selected: str | None = None) -> dict[str, Any]:
    """Shopify's ``product`` object; ``selected`` is the ``?variant=`` of the address."""
    variants = [variant_drop(v) for v in product.variants]
    chosen = next((v for v in variants if str(v["id"]) == selected), None)
    chosen = chosen or next((v for v in variants if v["available"]), None)
    chosen = chosen or (variants[0] if variants else None)
    return {
        "id": product.legacy_id,
        "title": product.title,
        "handle": product.handle,
        "url": f"/products/{product.handle}",
        "available": any(v["available"] for v in variants),
        "price": min((v["price"] for v in variants), default=0),
        "variants": variants,
        "selected_or_first_available_variant": chosen,
    }


def shop_drop(shop: Shop) -> dict[str, Any]:
    return {
        "name": shop.name,
        "permanent_domain": shop.myshopify_domain,
        "currency": shop.currency,
    }


def on_online_store(shop: Shop, product: Product) -> bool:
    """Shoppers see active products published to the Online Store; others are a 404."""
    online_store = shop.catalog.online_store().legacy_id
    return product.status == "ACTIVE" and online_store in product.published_on


# ------------------------------------------------------------------ theme pages

# The theme around the blocks: just what a real theme has that the badge script relies on.
LAYOUT = """<!doctype html>
<html lang="{{ locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ page_title | escape }} – {{ shop.name | escape }}</title>
</head>
<body>
{{ content_for_layout }}
{{ content_for_app_embeds }}
</body>
</html>
"""

PRODUCT = """{%- assign variant = product.selected_or_first_available_variant -%}
<main class="product">
<h1>{{ product.title | escape }}</h1>
<p class="price">{{ variant.price | money }} {{ shop.currency }}</p>
<form method="post" action="/cart/add" class="product-form">
<select name="id">
{%- for v in product.variants %}
<option value="{{ v.id }}"{% if v.id == variant.id %} selected{% endif %}>{{ v.title | escape }}</option>
{%- endfor %}
</select>
<button type="submit"{% unless variant.available %} disabled{% endunless %}>Add to cart</button>
</form>
{{ app_blocks }}
</main>
<script>
  // As themes do: the picked variant goes into the address (?variant=).
  document.querySelector('select[name="id"]').addEventListener('change', function (event) {
    var url = new URL(location.href);
    url.searchParams.set('variant', event.target.value);
    history.replaceState(null, '', url);
  });
</script>
"""

COLLECTION = """<main class="collection">
<h1>{{ collection.title | escape }}</h1>
<ul class="grid">
{%- for product in collection.products %}
<li class="card">
<a href="{{ product.url }}">{{ product.title | escape }}</a>
<span class="price">{{ product.price | money }} {{ shop.currency }}</span>
<div class="stockguard" data-sg-product="{{ product.id }}" data-sg-lines="1" style="min-height:1.6em"></div>
</li>
{%- endfor %}
</ul>
</main>
"""

_LAYOUT = ENV.from_string(LAYOUT)
_PRODUCT = ENV.from_string(PRODUCT)
_COLLECTION = ENV.from_string(COLLECTION)


def app_block(name: str, block_id: str, settings: dict[str, Any], **objects: Any) -> str:
    """A block rendered and wrapped as Shopify wraps app blocks and embeds."""
    html = block_template(name).render(block={"id": block_id, "settings": settings}, **objects)
    return (
        f'<div id="shopify-block-{block_id}" class="shopify-block shopify-app-block">{html}</div>'
    )


class StorefrontPages:
    """Mixed into ``ShopifySandbox``: the app embed's settings per shop, storefront URLs."""

    lock: threading.RLock
    shops: dict[str, Shop]

    def set_app_url(self, shop: str, url: str | None) -> None:
        """The app embed's "StockGuard server URL" setting in ``shop``'s theme.

        ``None`` restores the block's default; ``""`` leaves it empty (no script is loaded).
        """
        with self.lock:
            urls = self.__dict__.setdefault("_storefront_app_urls", {})
            if url is None:
                urls.pop(shop.lower(), None)
            else:
                urls[shop.lower()] = url

    def embed_settings(self, shop: str) -> dict[str, Any]:
        """``block.settings`` of the app embed block in ``shop``'s theme."""
        settings = default_settings("app-embed")
        urls = self.__dict__.get("_storefront_app_urls", {})
        if shop.lower() in urls:
            settings["server_url"] = urls[shop.lower()]
        return settings

    @staticmethod
    def storefront_url(shop: str, path: str = "/") -> str:
        """``https://{shop}{path}``: where a shopper's browser finds a page of the store."""
        return f"https://{shop.lower()}/{path.lstrip('/')}"


def _locale() -> str:
    wanted = request.args.get("locale", "en").lower()
    return wanted if wanted in LOCALES else "en"


def _page(sb, shop: Shop, title: str, content: str, status: int = 200) -> Response:
    host = request.host.split(":", 1)[0].lower()
    embed = app_block(
        "app-embed",
        "stockguard_app_embed",
        sb.embed_settings(shop.myshopify_domain),
        shop=shop_drop(shop),
        request={"host": host},
    )
    html = _LAYOUT.render(
        locale=_locale(),
        page_title=title,
        shop=shop_drop(shop),
        content_for_layout=content,
        content_for_app_embeds=embed,
    )
    return Response(html, status=status, mimetype="text/html")


def register(app: Flask, sb) -> None:
    """Add the storefront routes to the sandbox's Flask app (the shop is ``g.shop``)."""

    @app.get("/products/<handle>")
    def product_page(handle: str):
        shop: Shop = g.shop
        with sb.lock:
            product = next((p for p in shop.catalog.products if p.handle == handle), None)
            if product is None or not on_online_store(shop, product):
                return _page(sb, shop, "404 Not Found", "<h1>404 Page Not Found</h1>", 404)
            drop = product_drop(product, request.args.get("variant"))
        objects = {"product": drop, "shop": shop_drop(shop)}
        block = app_block("availability", "stockguard_availability", {}, **objects)
        content = _PRODUCT.render(app_blocks=block, **objects)
        return _page(sb, shop, drop["title"], content)

    @app.get("/collections/all")
    def collection_all():
        shop: Shop = g.shop
        with sb.lock:
            products = [product_drop(p) for p in shop.catalog.products if on_online_store(shop, p)]
        collection = {"title": "Products", "handle": "all", "products": products}
        content = _COLLECTION.render(collection=collection, shop=shop_drop(shop))
        return _page(sb, shop, collection["title"], content)

    @app.get(ASSETS_PATH + "<path:filename>")
    def extension_asset(filename: str):
        response = send_from_directory(EXTENSION / "assets", filename, max_age=0)
        response.headers["Access-Control-Allow-Origin"] = "*"  # as Shopify's CDN answers
        return response
