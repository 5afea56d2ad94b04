"""Every GraphQL document StockGuard sends to Shopify (Admin API 2026-04).

Tests validate each ``*_DOCUMENT`` constant here against the real schema, so a typo or a field
Shopify removed fails CI rather than a merchant's install.
"""

SHOP_DOCUMENT = """
query StockGuardShop {
  shop { id name myshopifyDomain currencyCode email }
}
"""

WEBHOOK_SUBSCRIPTIONS_DOCUMENT = """
query StockGuardWebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    edges { node { id topic uri format } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE_DOCUMENT = """
mutation StockGuardWebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!
  $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_UPDATE_DOCUMENT = """
mutation StockGuardWebhookSubscriptionUpdate(
  $id: ID!
  $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_DELETE_DOCUMENT = """
mutation StockGuardWebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

LOCATIONS_DOCUMENT = """
query StockGuardLocations {
  locations(first: 50) {
    nodes { id name isPrimary isActive }
  }
}
"""

_VARIANT_FIELDS = """
  id
  sku
  barcode
  title
  displayName
  price
  inventoryPolicy
  requiresComponents
  product { id title handle productType status }
  inventoryItem {
    id
    tracked
    inventoryLevel(locationId: $locationId) {
      quantities(names: ["available"]) { name quantity }
    }
  }
"""

CATALOG_PAGE_DOCUMENT = (
    """
query StockGuardCatalogPage($first: Int!, $after: String, $locationId: ID!) {
  productVariants(first: $first, after: $after) {
    nodes {"""
    + _VARIANT_FIELDS
    + """    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

# 100 variants a page, like the catalog: at 250 the document would cost ~1,250 points, over
# Shopify's 1,000-point ceiling for a single query (MAX_COST_EXCEEDED).
PRODUCT_VARIANTS_DOCUMENT = (
    """
query StockGuardProductVariants($id: ID!, $locationId: ID!, $first: Int!, $after: String) {
  product(id: $id) {
    id
    variants(first: $first, after: $after) {
      nodes {"""
    + _VARIANT_FIELDS
    + """      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
)

LEVELS_DOCUMENT = """
query StockGuardLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      tracked
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

# Absolute levels with compare-and-set: a level changed since we read it is refused
# (CHANGE_FROM_QUANTITY_STALE) instead of overwritten. 2026-04 requires @idempotent.
INVENTORY_SET_DOCUMENT = """
mutation StockGuardSetLevels($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id referenceDocumentUri changes { name delta item { id } } }
    userErrors { field message code }
  }
}
"""

# --------------------------------------------------------------------------- storefront

# Where the shop's pages are served from: its myshopify domain and its primary domain.
STOREFRONT_DOMAINS_DOCUMENT = """
query StockGuardStorefrontDomains {
  shop { myshopifyDomain primaryDomain { url host } }
}
"""

# Sales channels' publications. Publication.name is deprecated; a channel is told by its app's
# handle (the Online Store is "online_store"), its catalog's title as a fallback.
PUBLICATIONS_DOCUMENT = """
query StockGuardPublications($after: String) {
  publications(first: 25, after: $after, catalogType: APP) {
    nodes {
      id
      catalog {
        title
        ... on AppCatalog { apps(first: 3) { nodes { handle } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PRODUCT_PUBLISHED_DOCUMENT = """
query StockGuardProductPublished($id: ID!, $publicationId: ID!) {
  product(id: $id) { id publishedOnPublication(publicationId: $publicationId) }
}
"""

PUBLISHABLE_PUBLISH_DOCUMENT = """
mutation StockGuardPublish($id: ID!, $input: [PublicationInput!]!) {
  publishablePublish(id: $id, input: $input) {
    userErrors { field message }
  }
}
"""

PUBLISHABLE_UNPUBLISH_DOCUMENT = """
mutation StockGuardUnpublish($id: ID!, $input: [PublicationInput!]!) {
  publishableUnpublish(id: $id, input: $input) {
    userErrors { field message }
  }
}
"""

VARIANT_POLICIES_DOCUMENT = """
query StockGuardVariantPolicies($id: ID!, $after: String) {
  product(id: $id) {
    id
    variants(first: 250, after: $after) {
      nodes { id inventoryPolicy }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# CONTINUE: the variant keeps selling at zero stock (pre-order); DENY: it stops.
VARIANT_POLICIES_UPDATE_DOCUMENT = """
mutation StockGuardSetVariantPolicies($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants { id inventoryPolicy }
    userErrors { field message code }
  }
}
"""
