"""The inventory and catalog part of the Admin GraphQL subset (shopify.md §6): `inventoryItem`,
`productVariant`, `productVariants` and `Product` (with `productType` and `tags`, read through
`nodes(ids:)`) with the real field names and nullability. It extends `schema.SDL` (see
`schema.base_schema`).
"""

from __future__ import annotations

INVENTORY_SDL = '''
"""A monetary value string without a currency symbol or code."""
scalar Money

extend type Query {
  inventoryItem(id: ID!): InventoryItem
  productVariant(id: ID!): ProductVariant
  productVariants(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    query: String
  ): ProductVariantConnection!
}

type InventoryItem implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  sku: String
  tracked: Boolean!
  requiresShipping: Boolean!
  createdAt: DateTime!
  updatedAt: DateTime!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    query: String
  ): InventoryLevelConnection!
}

type InventoryLevelConnection {
  edges: [InventoryLevelEdge!]!
  nodes: [InventoryLevel!]!
  pageInfo: PageInfo!
}

type InventoryLevelEdge { cursor: String! node: InventoryLevel! }

type InventoryLevel implements Node {
  id: ID!
  createdAt: DateTime!
  updatedAt: DateTime!
  item: InventoryItem!
  location: Location!
  quantities(names: [String!]!): [InventoryQuantity!]!
}

type InventoryQuantity {
  id: ID!
  name: String!
  quantity: Int!
  updatedAt: DateTime
}

enum ProductVariantInventoryPolicy { CONTINUE DENY }

type ProductVariant implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  sku: String
  title: String!
  displayName: String!
  price: Money!
  availableForSale: Boolean!
  inventoryPolicy: ProductVariantInventoryPolicy!
  inventoryQuantity: Int
  inventoryItem: InventoryItem!
  product: Product!
}

type ProductVariantConnection {
  edges: [ProductVariantEdge!]!
  nodes: [ProductVariant!]!
  pageInfo: PageInfo!
}

type ProductVariantEdge { cursor: String! node: ProductVariant! }

type Product implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  title: String!
  vendor: String!
  productType: String!
  tags: [String!]!
}
'''
