"""The mandatory privacy (compliance) webhooks, as Shopify sends them (shopify.md §2):

- `customers/data_request`: `{shop_id, shop_domain, orders_requested, customer: {id, email,
  phone}, data_request: {id}}`;
- `customers/redact`: `{shop_id, shop_domain, customer: {...}, orders_to_redact}`;
- `shop/redact`: `{shop_id, shop_domain}`.

They go to the address in the app's configuration (`SandboxConfig.
shopify_compliance_webhook_url`, or `POST /_sandbox/shopify/app-config`), never to API-made
subscriptions: Shopify takes these topics only from the app's configuration.
`POST /_sandbox/shopify/privacy` sends one, for an order's customer.
"""

from __future__ import annotations

from typing import Any

from shipflow_sandbox.shopify.installation import COMPLIANCE_TOPICS
from shipflow_sandbox.shopify.store import ShopOrder

SHOP_ID = 68_734_992_421  # the simulated shop's id (a made-up number of the real size)


class PrivacyError(ValueError):
    pass


def privacy_payload(topic: str, shop_domain: str, order: ShopOrder | None,
                    request_id: int) -> dict[str, Any]:
    if topic not in COMPLIANCE_TOPICS:
        raise PrivacyError(f"topic must be one of {', '.join(COMPLIANCE_TOPICS)}")
    payload: dict[str, Any] = {"shop_id": SHOP_ID, "shop_domain": shop_domain}
    if topic == "shop/redact":
        return payload
    if order is None:
        raise PrivacyError(f"{topic} needs an order_id (its customer is the subject)")
    customer = order.rest.get("customer") or {}
    payload["customer"] = {"id": customer.get("id"), "email": customer.get("email"),
                           "phone": customer.get("phone")}
    if topic == "customers/data_request":
        payload["orders_requested"] = [order.id]
        payload["data_request"] = {"id": request_id}
    else:
        payload["orders_to_redact"] = [order.id]
    return payload
