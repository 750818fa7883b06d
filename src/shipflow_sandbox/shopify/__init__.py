"""Simulated Shopify: GraphQL Admin fulfillment surface, order generator, webhooks."""
