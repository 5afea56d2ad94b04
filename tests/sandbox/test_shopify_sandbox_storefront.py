"""What the Shopify sandbox models for the storefront side: the shop's domains, sales channels'
publications (told apart by their app, ``Publication.name`` being deprecated), and the merchant's
own Online Store and inventory-policy switches. Shapes follow the 2026-04 schema."""

from __future__ import annotations

import json

import pytest
import shopify

SHOP = "teststore.myshopify.com"
VERSION = "2026-04"

PUBLICATIONS = """
query P($type: CatalogType) {
  publications(first: 10, catalogType: $type) {
    nodes {
      id name
      app { handle }
      catalog { __typename title status ... on AppCatalog { apps(first: 2) { nodes { handle title } } } }
    }
  }
}"""


def gql(token: str, query: str, variables: dict | None = None) -> dict:
    with shopify.Session.temp(SHOP, VERSION, token):
        return json.loads(shopify.GraphQL().execute(query, variables))


@pytest.fixture
def token(sb, shopify_app):
    return sb.issue_token(SHOP, ["read_products", "read_publications"])


def test_primary_domain_is_the_myshopify_domain_until_one_is_connected(sb, token):
    query = "{ shop { myshopifyDomain url primaryDomain { id host url sslEnabled } } }"
    shop = gql(token, query)["data"]["shop"]
    assert shop["url"] == f"https://{SHOP}"
    assert shop["primaryDomain"]["host"] == SHOP
    assert shop["primaryDomain"]["url"] == f"https://{SHOP}"
    assert shop["primaryDomain"]["id"].startswith("gid://shopify/Domain/")

    sb.set_primary_domain(SHOP, "www.example.com")
    shop = gql(token, query)["data"]["shop"]
    assert (shop["myshopifyDomain"], shop["url"]) == (SHOP, "https://www.example.com")
    assert shop["primaryDomain"]["host"] == "www.example.com"


def test_publications_name_their_sales_channel_app(sb, token):
    wholesale = sb.add_sales_channel(SHOP, "Wholesale", app_handle="wholesale-channel")
    nodes = gql(token, PUBLICATIONS, {"type": "APP"})["data"]["publications"]["nodes"]
    assert [n["id"] for n in nodes][0] == wholesale
    online = nodes[1]
    assert online["name"] == "Online Store"
    assert online["app"] == {"handle": "online_store"}
    assert online["catalog"]["__typename"] == "AppCatalog"
    assert online["catalog"]["title"] == "Online Store"
    assert online["catalog"]["apps"]["nodes"] == [
        {"handle": "online_store", "title": "Online Store"}
    ]
    # Market and B2B catalogs are not modelled: none here.
    assert gql(token, PUBLICATIONS, {"type": "MARKET"})["data"]["publications"]["nodes"] == []


def test_merchant_switches_for_online_store_and_inventory_policy(sb, token):
    tee = sb.create_product(SHOP, "Tee", variants=[{"sku": "TEE-M"}])
    draft = sb.create_product(SHOP, "Draft", status="DRAFT")
    assert sb.is_published(SHOP, tee["id"]) is True
    assert sb.is_published(SHOP, draft["legacy_id"]) is False

    sb.set_published(SHOP, tee["id"], False)
    assert sb.is_published(SHOP, tee["id"]) is False
    online = gql(token, PUBLICATIONS, {"type": "APP"})["data"]["publications"]["nodes"][0]["id"]
    query = "query Q($id: ID!, $pub: ID!) { product(id: $id) { publishedOnPublication(publicationId: $pub) } }"
    product = gql(token, query, {"id": tee["id"], "pub": online})["data"]["product"]
    assert product == {"publishedOnPublication": False}

    variant = tee["variants"][0]["id"]
    assert sb.variant_policy(SHOP, variant) == "DENY"
    sb.set_variant_policy(SHOP, variant, "CONTINUE")
    assert sb.variant_policy(SHOP, variant) == "CONTINUE"

    sb.delete_product(SHOP, tee["id"])
    assert gql(token, "query Q($id: ID!) { product(id: $id) { id } }", {"id": tee["id"]})[
        "data"
    ] == {"product": None}
    with pytest.raises(KeyError):
        sb.is_published(SHOP, tee["id"])
