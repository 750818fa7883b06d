"""A faithful subset of the Shopify GraphQL Admin schema (2026-07): the fulfillment surface.

Type, field and argument names and their nullability follow the real Admin schema
(shopify.md §4); fields the orchestrator does not need are left out rather than invented.
"""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLSchema, build_schema

from shipflow_sandbox.shopify.installation import APP_SDL
from shipflow_sandbox.shopify.inventory_schema import INVENTORY_SDL
from shipflow_sandbox.shopify.order_schema import ORDER_SDL

SDL = '''
"""An ISO-8601 encoded UTC date time string."""
scalar DateTime
"""An RFC 3986 and RFC 3987 compliant URI string."""
scalar URL
"""An unsigned 64-bit integer, serialized as a string."""
scalar UnsignedInt64

interface Node { id: ID! }

type Query {
  order(id: ID!): Order
  fulfillmentOrder(id: ID!): FulfillmentOrder
  fulfillment(id: ID!): Fulfillment
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
}

type Mutation {
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
  fulfillmentTrackingInfoUpdate(
    fulfillmentId: ID!, trackingInfoInput: FulfillmentTrackingInput!, notifyCustomer: Boolean
  ): FulfillmentTrackingInfoUpdatePayload
  fulfillmentOrderHold(
    id: ID!, fulfillmentHold: FulfillmentOrderHoldInput!
  ): FulfillmentOrderHoldPayload
  fulfillmentOrderReleaseHold(
    id: ID!, holdIds: [ID!], externalId: String
  ): FulfillmentOrderReleaseHoldPayload
  tagsAdd(id: ID!, tags: [String!]!): TagsAddPayload
}

type Order implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  email: String
  createdAt: DateTime!
  updatedAt: DateTime!
  cancelledAt: DateTime
  closed: Boolean!
  note: String
  tags: [String!]!
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  fulfillmentOrders(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    query: String, displayable: Boolean = false
  ): FulfillmentOrderConnection!
  fulfillments(first: Int): [Fulfillment!]!
}

enum OrderDisplayFinancialStatus {
  AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED
}

enum OrderDisplayFulfillmentStatus {
  FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT REQUEST_DECLINED
  RESTOCKED SCHEDULED UNFULFILLED
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

type FulfillmentOrderConnection {
  edges: [FulfillmentOrderEdge!]!
  nodes: [FulfillmentOrder!]!
  pageInfo: PageInfo!
}

type FulfillmentOrderEdge { cursor: String! node: FulfillmentOrder! }

type FulfillmentOrder implements Node {
  id: ID!
  status: FulfillmentOrderStatus!
  requestStatus: FulfillmentOrderRequestStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  orderId: ID!
  orderName: String!
  order: Order
  supportedActions: [FulfillmentOrderSupportedAction!]!
  assignedLocation: FulfillmentOrderAssignedLocation!
  fulfillmentHolds: [FulfillmentHold!]!
  lineItems(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false
  ): FulfillmentOrderLineItemConnection!
}

enum FulfillmentOrderStatus { CANCELLED CLOSED INCOMPLETE IN_PROGRESS ON_HOLD OPEN SCHEDULED }

enum FulfillmentOrderRequestStatus {
  ACCEPTED CANCELLATION_ACCEPTED CANCELLATION_REJECTED CANCELLATION_REQUESTED CLOSED REJECTED
  SUBMITTED UNSUBMITTED
}

type FulfillmentOrderSupportedAction { action: FulfillmentOrderAction! externalUrl: URL }

enum FulfillmentOrderAction {
  CANCEL_FULFILLMENT_ORDER CREATE_FULFILLMENT EXTERNAL HOLD MARK_AS_OPEN MERGE MOVE
  RELEASE_HOLD REQUEST_CANCELLATION REQUEST_FULFILLMENT SPLIT
}

type FulfillmentOrderAssignedLocation {
  address1: String
  city: String
  countryCode: String!
  name: String!
  province: String
  zip: String
  location: Location
}

type Location implements Node { id: ID! name: String! }

type FulfillmentHold implements Node {
  id: ID!
  reason: FulfillmentHoldReason!
  reasonNotes: String
  handle: String!
  heldByRequestingApp: Boolean!
}

enum FulfillmentHoldReason {
  AWAITING_PAYMENT AWAITING_RETURN_ITEMS HIGH_RISK_OF_FRAUD INCORRECT_ADDRESS
  INVENTORY_OUT_OF_STOCK ONLINE_STORE_POST_PURCHASE_CROSS_SELL OTHER UNKNOWN_DELIVERY_DATE
}

type FulfillmentOrderLineItemConnection {
  edges: [FulfillmentOrderLineItemEdge!]!
  nodes: [FulfillmentOrderLineItem!]!
  pageInfo: PageInfo!
}

type FulfillmentOrderLineItemEdge { cursor: String! node: FulfillmentOrderLineItem! }

type FulfillmentOrderLineItem implements Node {
  id: ID!
  remainingQuantity: Int!
  totalQuantity: Int!
  sku: String
  productTitle: String!
  variantTitle: String
  lineItem: LineItem!
}

type LineItem implements Node {
  id: ID!
  sku: String
  name: String!
  title: String!
  variantTitle: String
  quantity: Int!
  requiresShipping: Boolean!
}

type Fulfillment implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  status: FulfillmentStatus!
  createdAt: DateTime!
  updatedAt: DateTime!
  order: Order!
  trackingInfo(first: Int): [FulfillmentTrackingInfo!]!
}

enum FulfillmentStatus { CANCELLED ERROR FAILURE OPEN PENDING SUCCESS }

type FulfillmentTrackingInfo { company: String number: String url: URL }

type UserError { field: [String!] message: String! }

type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }

type FulfillmentTrackingInfoUpdatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }

type FulfillmentOrderHoldPayload {
  fulfillmentHold: FulfillmentHold
  fulfillmentOrder: FulfillmentOrder
  remainingFulfillmentOrder: FulfillmentOrder
  userErrors: [FulfillmentOrderHoldUserError!]!
}

type FulfillmentOrderHoldUserError {
  code: FulfillmentOrderHoldUserErrorCode
  field: [String!]
  message: String!
}

enum FulfillmentOrderHoldUserErrorCode {
  DUPLICATE_FULFILLMENT_HOLD_HANDLE FULFILLMENT_ORDER_HOLD_LIMIT_REACHED
  FULFILLMENT_ORDER_NOT_FOUND GREATER_THAN_ZERO INVALID_LINE_ITEM_QUANTITY TAKEN
}

type FulfillmentOrderReleaseHoldPayload {
  fulfillmentOrder: FulfillmentOrder
  userErrors: [FulfillmentOrderReleaseHoldUserError!]!
}

type FulfillmentOrderReleaseHoldUserError {
  code: FulfillmentOrderReleaseHoldUserErrorCode
  field: [String!]
  message: String!
}

enum FulfillmentOrderReleaseHoldUserErrorCode { FULFILLMENT_ORDER_NOT_FOUND INVALID_ACCESS }

type TagsAddPayload { node: Node userErrors: [UserError!]! }

input FulfillmentInput {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
  notifyCustomer: Boolean = false
  originAddress: FulfillmentOriginAddressInput
  trackingInfo: FulfillmentTrackingInput
}

input FulfillmentOrderLineItemsInput {
  fulfillmentOrderId: ID!
  fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!]
}

input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }

input FulfillmentTrackingInput {
  company: String
  number: String
  numbers: [String!]
  url: URL
  urls: [URL!]
}

input FulfillmentOriginAddressInput {
  address1: String
  address2: String
  city: String
  countryCode: String!
  provinceCode: String
  zip: String
}

input FulfillmentOrderHoldInput {
  reason: FulfillmentHoldReason!
  reasonNotes: String
  notifyMerchant: Boolean = false
  fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!] = []
  externalId: String
  handle: String
}
'''


@lru_cache(maxsize=1)
def base_schema() -> GraphQLSchema:
    """The parsed schema without resolvers (shared; resolvers read state from the context)."""
    return build_schema(SDL + INVENTORY_SDL + ORDER_SDL + APP_SDL)
