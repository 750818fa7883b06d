"""Reference data for generated orders: a small product catalog, names, and addresses.

`CATALOG` holds one entry per variant (SKU); variants of one product share `product_index`,
whose product-level data (`productType`, `tags`, what review categories are read from) is in
`PRODUCTS`. Addresses are real city/ZIP pairs; phone numbers use the fictional 555-01xx range;
emails use non-test demo domains (Klaviyo drops `example.com`/`test.com` events, klaviyo.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    variant_title: str | None
    vendor: str
    grams: int
    price: str
    product_index: int
    requires_shipping: bool = True


@dataclass(frozen=True)
class ProductInfo:
    """Product-level fields (`Product.productType`, `Product.tags` in GraphQL)."""

    product_type: str
    tags: tuple[str, ...]


# By `Product.product_index`. Tags are what a merchant would use to group review timing.
PRODUCTS: tuple[ProductInfo, ...] = (
    ProductInfo("Drinkware", ("ceramic", "gift-idea", "mug")),
    ProductInfo("Coffee", ("coffee", "consumable", "single-origin")),
    ProductInfo("Coffee", ("bulk", "coffee", "consumable")),
    ProductInfo("Brewing Equipment", ("equipment", "grinder")),
    ProductInfo("Brewing Equipment", ("equipment", "kettle")),
    ProductInfo("Brewing Equipment", ("equipment", "scale")),
    ProductInfo("Brewing Supplies", ("consumable", "filters")),
    ProductInfo("Espresso Machines", ("equipment", "espresso", "high-value")),
    ProductInfo("Espresso Accessories", ("accessory", "espresso")),
    ProductInfo("Apparel", ("apparel", "merch")),
    ProductInfo("Storage", ("storage",)),
    ProductInfo("Subscriptions", ("digital", "subscription")),
)

CATALOG: tuple[Product, ...] = (
    Product(
        "MUG-CER-12", "Ceramic Pour-Over Mug", "12 oz / Slate", "Ridgeline Goods", 410, "24.00", 0
    ),
    Product(
        "MUG-CER-16", "Ceramic Pour-Over Mug", "16 oz / Sand", "Ridgeline Goods", 520, "28.00", 0
    ),
    Product(
        "BEAN-ETH-340", "Ethiopia Guji Whole Bean", "340 g", "Ridgeline Roasters", 380, "19.50", 1
    ),
    Product(
        "BEAN-COL-1K", "Colombia Huila Whole Bean", "1 kg", "Ridgeline Roasters", 1060, "42.00", 2
    ),
    Product("GRN-BURR-01", "Conical Burr Grinder", None, "Ridgeline Goods", 2900, "189.00", 3),
    Product("KTL-GOOSE-BK", "Gooseneck Kettle", "Matte Black", "Ridgeline Goods", 1250, "89.00", 4),
    Product("SCL-DIG-01", "Brew Scale with Timer", None, "Ridgeline Goods", 640, "54.00", 5),
    Product("FLT-PAPER-100", "Paper Filters", "100 pack", "Ridgeline Goods", 180, "8.50", 6),
    Product(
        "ESP-MACH-PRO",
        "Dual Boiler Espresso Machine",
        "Stainless",
        "Ridgeline Pro",
        17800,
        "1249.00",
        7,
    ),
    Product("TMP-58-WAL", "58 mm Tamper", "Walnut", "Ridgeline Pro", 720, "64.00", 8),
    Product("TEE-LOGO-M", "Logo Tee", "M / Oat", "Ridgeline Apparel", 210, "32.00", 9),
    Product("TEE-LOGO-L", "Logo Tee", "L / Oat", "Ridgeline Apparel", 230, "32.00", 9),
    Product("TIN-AIR-500", "Airtight Canister", "500 g", "Ridgeline Goods", 560, "36.00", 10),
    Product(
        "SUB-GIFT-3M", "Gift Subscription", "3 months", "Ridgeline Roasters", 0, "99.00", 11, False
    ),
)

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sophia",
    "Elijah",
    "Isabella",
    "Lucas",
    "Mia",
    "Mason",
    "Amelia",
    "Ethan",
    "Harper",
    "Aiden",
    "Evelyn",
    "Jackson",
    "Camila",
    "Leo",
    "Priya",
    "Kenji",
    "Fatima",
    "Diego",
    "Aaliyah",
    "Wei",
    "Nadia",
    "Tomás",
    "Chloe",
    "Malik",
)
LAST_NAMES = (
    "Johnson",
    "Garcia",
    "Nguyen",
    "Patel",
    "Smith",
    "Martinez",
    "Kim",
    "Brown",
    "Okafor",
    "Rossi",
    "Chen",
    "Williams",
    "Lopez",
    "Murphy",
    "Schmidt",
    "Hernandez",
    "Davis",
    "Cohen",
    "Tanaka",
    "Wilson",
    "Moore",
    "Silva",
    "Anderson",
    "Khan",
    "Taylor",
    "Dubois",
    "Thomas",
)
EMAIL_DOMAINS = ("klaviyo-demo.com", "shipflow-demo.net", "mailbox-demo.org")
STREETS = (
    "Maple Ave",
    "Oak St",
    "Cedar Ln",
    "Pine St",
    "Elm St",
    "Washington Blvd",
    "Lakeview Dr",
    "Sunset Blvd",
    "Main St",
    "Park Ave",
    "River Rd",
    "Hillcrest Dr",
    "Highland Ave",
    "2nd St",
    "Willow Way",
    "Franklin St",
    "Mission St",
    "Broadway",
    "Spring Garden St",
    "Ocean Ave",
)


@dataclass(frozen=True)
class Place:
    city: str
    province: str | None
    province_code: str | None
    zip: str
    country: str
    country_code: str
    area_code: str
    kind: str  # "contiguous", "noncontiguous", "military", "international"


CONTIGUOUS = (
    Place("Brooklyn", "New York", "NY", "11215", "United States", "US", "718", "contiguous"),
    Place("Austin", "Texas", "TX", "78704", "United States", "US", "512", "contiguous"),
    Place("Portland", "Oregon", "OR", "97214", "United States", "US", "503", "contiguous"),
    Place("Chicago", "Illinois", "IL", "60614", "United States", "US", "312", "contiguous"),
    Place("Denver", "Colorado", "CO", "80205", "United States", "US", "303", "contiguous"),
    Place("Atlanta", "Georgia", "GA", "30307", "United States", "US", "404", "contiguous"),
    Place("Seattle", "Washington", "WA", "98103", "United States", "US", "206", "contiguous"),
    Place("San Diego", "California", "CA", "92104", "United States", "US", "619", "contiguous"),
    Place("Oakland", "California", "CA", "94610", "United States", "US", "510", "contiguous"),
    Place("Minneapolis", "Minnesota", "MN", "55408", "United States", "US", "612", "contiguous"),
    Place("Nashville", "Tennessee", "TN", "37206", "United States", "US", "615", "contiguous"),
    Place(
        "Philadelphia", "Pennsylvania", "PA", "19125", "United States", "US", "215", "contiguous"
    ),
    Place("Boston", "Massachusetts", "MA", "02118", "United States", "US", "617", "contiguous"),
    Place("Phoenix", "Arizona", "AZ", "85004", "United States", "US", "602", "contiguous"),
    Place("Miami", "Florida", "FL", "33137", "United States", "US", "305", "contiguous"),
    Place("Louisville", "Kentucky", "KY", "40204", "United States", "US", "502", "contiguous"),
    Place("Madison", "Wisconsin", "WI", "53703", "United States", "US", "608", "contiguous"),
    Place("Raleigh", "North Carolina", "NC", "27601", "United States", "US", "919", "contiguous"),
    Place("Salt Lake City", "Utah", "UT", "84102", "United States", "US", "801", "contiguous"),
    Place("Burlington", "Vermont", "VT", "05401", "United States", "US", "802", "contiguous"),
)
NONCONTIGUOUS = (
    Place("Anchorage", "Alaska", "AK", "99501", "United States", "US", "907", "noncontiguous"),
    Place("Honolulu", "Hawaii", "HI", "96814", "United States", "US", "808", "noncontiguous"),
    Place("San Juan", None, None, "00907", "Puerto Rico", "PR", "787", "noncontiguous"),
)
MILITARY = (
    Place("APO", "Armed Forces Europe", "AE", "09096", "United States", "US", "202", "military"),
    Place("FPO", "Armed Forces Pacific", "AP", "96349", "United States", "US", "202", "military"),
)
INTERNATIONAL = (
    Place("Toronto", "Ontario", "ON", "M5V 2T6", "Canada", "CA", "416", "international"),
    Place("London", "England", "ENG", "SW1A 2AA", "United Kingdom", "GB", "44", "international"),
    Place("Sydney", "New South Wales", "NSW", "2000", "Australia", "AU", "61", "international"),
    Place("Berlin", "Berlin", "BE", "10115", "Germany", "DE", "49", "international"),
)

# (title, code, price) as a checkout would show them, by destination kind.
SHIPPING_RATES = {
    "contiguous": (
        ("Standard Shipping", "Standard", "6.95"),
        ("Free Shipping", "Free Shipping", "0.00"),
        ("Priority Mail", "Priority Mail", "9.45"),
        ("UPS Ground", "ups_ground", "11.20"),
        ("Express (1-2 business days)", "Express", "24.00"),
        ("FedEx 2Day", "fedex_2day", "18.75"),
    ),
    "noncontiguous": (("Priority Mail", "Priority Mail", "14.95"),),
    "military": (("USPS Priority Mail (APO/FPO)", "Priority Mail", "14.95"),),
    "international": (("International Shipping", "International", "29.00"),),
}
