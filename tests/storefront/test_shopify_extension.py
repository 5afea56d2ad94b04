"""The Shopify theme app extension: layout, block schemas, translations, and what blocks render.

The blocks are rendered by python-liquid with the Shopify tags and filters the sandbox provides
(``sandbox.shopify.storefront_pages``), with the Liquid objects Shopify gives them.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from sandbox.shopify import storefront_pages
from sandbox.shopify.storefront_pages import block_schema, block_template

EXTENSION = Path(__file__).resolve().parents[2] / "extensions" / "stockguard"
BLOCKS = ("app-embed", "availability")


def render(name: str, **objects) -> str:
    objects.setdefault("block", {"id": "b1", "settings": storefront_pages.default_settings(name)})
    objects.setdefault("request", {"host": "teststore.myshopify.com"})
    return block_template(name).render(**objects)


def variant(**fields) -> dict:
    base = {
        "id": 4242,
        "available": True,
        "inventory_management": "shopify",
        "inventory_quantity": 5,
    }
    return base | fields


def placeholder_of(html: str) -> dict[str, str]:
    match = re.search(r'<div class="stockguard"([^>]*)></div>', html)
    assert match, html
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


def test_extension_is_a_theme_extension():
    config = tomllib.loads((EXTENSION / "shopify.extension.toml").read_text())
    assert config["type"] == "theme"
    assert config["name"]
    # Shopify's layout: only these folders; the script loaded by the embed is there.
    assert {p.name for p in EXTENSION.iterdir() if p.is_dir()} <= {
        "assets",
        "blocks",
        "snippets",
        "locales",
    }
    assert (EXTENSION / "assets" / "stockguard.js").is_file()


@pytest.mark.parametrize("name", BLOCKS)
def test_blocks_parse_and_have_a_schema(name):
    block_template(name)  # raises on a Liquid syntax error
    schema = block_schema(name)
    assert 0 < len(schema["name"]) <= 25  # Shopify's limit for block names
    assert schema["target"] == {"app-embed": "body", "availability": "section"}[name]


def test_availability_block_is_for_product_pages():
    assert block_schema("availability")["enabled_on"] == {"templates": ["product"]}


def test_every_translation_key_exists_in_every_locale():
    keys = set()
    for name in BLOCKS:
        source = (EXTENSION / "blocks" / f"{name}.liquid").read_text()
        keys |= set(re.findall(r'"t:([\w.]+)"', source))
    assert keys
    locales = sorted((EXTENSION / "locales").glob("*.schema.json"))
    assert {p.name for p in locales} == {"en.default.schema.json", "fr.schema.json"}
    for path in locales:
        strings = json.loads(path.read_text())
        for key in keys:
            value = strings
            for part in key.split("."):
                value = value[part]
            assert isinstance(value, str) and value, (path.name, key)


def test_app_embed_loads_the_script_async_with_the_shop_and_the_api():
    html = render(
        "app-embed",
        block={"id": "b1", "settings": {"server_url": " https://sg.example.com/ "}},
        shop={"permanent_domain": "teststore.myshopify.com"},
    )
    script = re.search(r"<script ([^>]*)></script>", html).group(1)
    assert 'src="//teststore.myshopify.com/cdn/stockguard/assets/stockguard.js"' in script
    assert " async " in f" {script} "
    assert 'data-shop="teststore.myshopify.com"' in script
    # The trailing slash of the setting is dropped: no //storefront.
    assert 'data-api="https://sg.example.com/storefront/v1"' in script


def test_app_embed_defaults_to_the_app_url_and_escapes_the_setting():
    html = render("app-embed", shop={"permanent_domain": "teststore.myshopify.com"})
    assert 'data-api="https://stockguard.example.com/storefront/v1"' in html
    html = render(
        "app-embed",
        block={
            "id": "b1",
            "settings": {"server_url": 'https://x.test/"><script>alert(1)</script>'},
        },
        shop={"permanent_domain": "teststore.myshopify.com"},
    )
    assert "<script>alert(1)" not in html
    assert "&quot;&gt;&lt;script&gt;" in html


def test_app_embed_with_no_server_loads_nothing():
    html = render(
        "app-embed",
        block={"id": "b1", "settings": {"server_url": "  "}},
        shop={"permanent_domain": "teststore.myshopify.com"},
    )
    assert "<script" not in html


@pytest.mark.parametrize(
    ("selected", "lines", "height"),
    [
        (variant(), "1", "1.6em"),  # in stock: the badge line
        (variant(available=False, inventory_quantity=0), "3", "4.8em"),  # sold out
        # Sold out but "continue selling": a pre-order, which offers notify me too.
        (variant(inventory_quantity=0), "3", "4.8em"),
        (variant(inventory_management=None, inventory_quantity=0), "1", "1.6em"),  # untracked
    ],
)
def test_availability_block_reserves_its_lines(selected, lines, height):
    product = {"id": 77, "selected_or_first_available_variant": selected}
    attrs = placeholder_of(render("availability", product=product))
    assert attrs == {
        "data-sg-product": "77",
        "data-sg-variant": "4242",
        "data-sg-lines": lines,
        "style": f"min-height:{height}",
    }


def test_schema_and_code_tags_never_reach_the_page():
    html = render(
        "availability", product={"id": 1, "selected_or_first_available_variant": variant()}
    )
    assert "schema" not in html and '"target"' not in html
