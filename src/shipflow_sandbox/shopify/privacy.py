"""Shopify's mandatory compliance webhooks, sent on the merchant's (or Shopify's) behalf by
`/_sandbox/` controls (shopify.md §2, "Compliance payloads"):

    customers/data_request {shop_id, shop_domain, orders_requested, customer {id, email, phone},
                            data_request {id}}
    customers/redact       {shop_id, shop_domain, customer {id, email, phone}, orders_to_redact}
    shop/redact            {shop_id, shop_domain}

Signed and delivered like every other Shopify webhook (same headers, HMAC, retries). The
customer is looked up among the shop's orders (the generator makes one customer per order; an
imported order may share one). Shopify sends customers/redact 10 days after the request, or 6
months when the customer ordered recently; the sandbox sends it when asked.
"""

from __future__ import annotations

from typing import Any

from shipflow_sandbox.shopify.orders import SHOP_ID
from shipflow_sandbox.shopify.store import ShopifyStore

# Data request ids are numbered apart from `IdAllocator` (whose one random stream every other
# kind shares), so sending one never shifts any other id.
DATA_REQUEST_BASE = 9_900_000


class PrivacyError(Exception):
    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ShopPrivacy:
    def __init__(self, store: ShopifyStore, shop_domain: str) -> None:
        self.store = store
        self.shop_domain = shop_domain
        self.data_requests = 0

    def customer_of(self, customer_id: int | None = None, order_id: int | None = None
                    ) -> tuple[dict[str, Any], list[int]]:
        """(the customer as the webhooks carry it, ids of every order they placed)."""
        if customer_id is None and order_id is not None:
            order = self.store.orders.get(order_id)
            if order is None or not isinstance(order.rest.get("customer"), dict):
                raise PrivacyError(f"no order {order_id} with a customer")
            customer_id = int(order.rest["customer"]["id"])
        if customer_id is None:
            raise PrivacyError('give "customer_id" or "order_id"', 400)
        orders = [o for o in self.store.orders.values()
                  if isinstance(o.rest.get("customer"), dict)
                  and o.rest["customer"].get("id") == customer_id]
        if not orders:
            raise PrivacyError(f"no customer {customer_id}")
        customer = orders[-1].rest["customer"]
        return ({"id": customer_id, "email": customer.get("email"),
                 "phone": customer.get("phone")}, [o.id for o in orders])

    def data_request(self, customer_id: int | None = None,
                     order_id: int | None = None) -> tuple[str, dict[str, Any]]:
        customer, orders = self.customer_of(customer_id, order_id)
        self.data_requests += 1
        payload = {"shop_id": SHOP_ID, "shop_domain": self.shop_domain,
                   "orders_requested": orders, "customer": customer,
                   "data_request": {"id": DATA_REQUEST_BASE + self.data_requests}}
        return self._send("customers/data_request", payload)

    def redact_customer(self, customer_id: int | None = None,
                        order_id: int | None = None) -> tuple[str, dict[str, Any]]:
        customer, orders = self.customer_of(customer_id, order_id)
        payload = {"shop_id": SHOP_ID, "shop_domain": self.shop_domain, "customer": customer,
                   "orders_to_redact": orders}
        return self._send("customers/redact", payload)

    def redact_shop(self) -> tuple[str, dict[str, Any]]:
        return self._send("shop/redact", {"shop_id": SHOP_ID, "shop_domain": self.shop_domain})

    def _send(self, topic: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self.store.emit([(topic, payload)])
        return topic, payload
