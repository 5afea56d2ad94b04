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
