"""The order-reading part of the Admin GraphQL subset: what a merchant's own script asks of an
order, beyond the fulfillment fields shipflow itself reads (issue 10).

`orders` (a connection with `query`/`sortKey`), the order's money (`MoneyBag`: shop and
presentment `MoneyV2`), its addresses (`MailingAddress`), customer, shipping line and line items
(a `LineItemConnection`, each line with its prices, quantities and variant), and the line items
of a fulfillment (`Fulfillment.fulfillmentLineItems`). Names, argument lists, defaults and
nullability follow the 2026-07 Admin reference; fields nobody asks for are left out rather than
invented. `CountryCode` lists the ISO 3166-1 alpha-2 codes (plus Shopify's `AC`, `TA`, `XK`,
`ZZ`); `CurrencyCode` lists the ISO 4217 codes a shop can sell in (a subset of Shopify's enum,
which also carries retired and crypto codes). It extends `schema.SDL` (see
`schema.base_schema`).
"""

from __future__ import annotations

COUNTRY_CODES = (
    "AC AD AE AF AG AI AL AM AN AO AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ "
    "EC EE EG EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GW GY HK "
    "HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA "
    "LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS MT MU MV MW MX MY MZ "
    "NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PS PT PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TF TG TH TJ TK TL TM "
    "TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW ZZ"
)
CURRENCY_CODES = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL "
    "GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JEP JMD JOD JPY KES KGS "
    "KHR KID KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL LTL LVL LYD MAD MDL MGA MKD MMK MNT MOP MRU "
    "MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD "
    "RUB RWF SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STN SYP SZL THB TJS TMT TND TOP TRY TTD "
    "TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XOF XPF XXX YER ZAR ZMW"
)

ORDER_SDL = f'''
"""A signed decimal number, serialized as a string."""
scalar Decimal

enum CountryCode {{ {COUNTRY_CODES} }}
enum CurrencyCode {{ {CURRENCY_CODES} }}

enum OrderSortKeys {{
  CREATED_AT CUSTOMER_NAME DESTINATION FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER
  PO_NUMBER PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT
}}

extend type Query {{
  orders(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    sortKey: OrderSortKeys = PROCESSED_AT, query: String, savedSearchId: ID
  ): OrderConnection!
}}

type OrderConnection {{
  edges: [OrderEdge!]!
  nodes: [Order!]!
  pageInfo: PageInfo!
}}

type OrderEdge {{ cursor: String! node: Order! }}

type MoneyV2 {{ amount: Decimal! currencyCode: CurrencyCode! }}

type MoneyBag {{ presentmentMoney: MoneyV2! shopMoney: MoneyV2! }}

type MailingAddress implements Node {{
  id: ID!
  address1: String
  address2: String
  city: String
  company: String
  country: String
  countryCodeV2: CountryCode
  firstName: String
  lastName: String
  name: String
  phone: String
  province: String
  provinceCode: String
  zip: String
  latitude: Float
  longitude: Float
  formatted(withName: Boolean = false, withCompany: Boolean = true): [String!]!
  formattedArea: String
}}

type CustomerEmailAddress {{ emailAddress: String }}

type CustomerPhoneNumber {{ phoneNumber: String! }}

type Customer implements Node {{
  id: ID!
  legacyResourceId: UnsignedInt64!
  firstName: String
  lastName: String
  displayName: String!
  email: String
  phone: String
  defaultEmailAddress: CustomerEmailAddress
  defaultPhoneNumber: CustomerPhoneNumber
}}

type ShippingLine {{
  id: ID
  title: String!
  code: String
  source: String
  originalPriceSet: MoneyBag!
  discountedPriceSet: MoneyBag!
}}

type LineItemConnection {{
  edges: [LineItemEdge!]!
  nodes: [LineItem!]!
  pageInfo: PageInfo!
}}

type LineItemEdge {{ cursor: String! node: LineItem! }}

extend type Order {{
  phone: String
  processedAt: DateTime!
  confirmationNumber: String
  currencyCode: CurrencyCode!
  presentmentCurrencyCode: CurrencyCode!
  totalPriceSet: MoneyBag!
  currentTotalPriceSet: MoneyBag!
  subtotalPriceSet: MoneyBag
  totalShippingPriceSet: MoneyBag!
  totalTaxSet: MoneyBag
  totalDiscountsSet: MoneyBag
  totalWeight: UnsignedInt64
  requiresShipping: Boolean!
  subtotalLineItemsQuantity: Int!
  shippingAddress: MailingAddress
  billingAddress: MailingAddress
  customer: Customer
  shippingLine: ShippingLine
  lineItems(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false
  ): LineItemConnection!
}}

extend type LineItem {{
  currentQuantity: Int!
  unfulfilledQuantity: Int!
  vendor: String
  originalUnitPriceSet: MoneyBag!
  discountedUnitPriceSet: MoneyBag!
  originalTotalSet: MoneyBag!
  discountedTotalSet: MoneyBag!
  totalDiscountSet: MoneyBag!
  variant: ProductVariant
  product: Product
}}

type FulfillmentLineItemConnection {{
  edges: [FulfillmentLineItemEdge!]!
  nodes: [FulfillmentLineItem!]!
  pageInfo: PageInfo!
}}

type FulfillmentLineItemEdge {{ cursor: String! node: FulfillmentLineItem! }}

type FulfillmentLineItem implements Node {{
  id: ID!
  quantity: Int
  lineItem: LineItem!
  originalTotalSet: MoneyBag!
  discountedTotalSet: MoneyBag!
}}

extend type Fulfillment {{
  totalQuantity: Int!
  fulfillmentLineItems(
    first: Int, after: String, last: Int, before: String, reverse: Boolean = false
  ): FulfillmentLineItemConnection!
}}
'''
