"""Shopify's mandatory compliance webhooks: `customers/data_request`, `customers/redact`,
`shop/redact` (shopify.md §2, "Compliance payloads"; shopify.dev
/docs/apps/build/compliance/privacy-law-compliance).

Payloads, as documented:

    customers/data_request {shop_id, shop_domain, orders_requested: [id], customer: {id, email,
                            phone}, data_request: {id}}
    customers/redact       {shop_id, shop_domain, customer: {id, email, phone},
                            orders_to_redact: [id]}
    shop/redact            {shop_id, shop_domain}

They are signed and delivered like every webhook (HMAC over the raw body, 401 when it does not
verify). `email` and `phone` may be null or absent (a customer known by phone only, or
protected-data redaction); the customer's id is required for the customer topics.
"""

from __future__ import annotations

from typing import Any

from shipflow.domain.privacy import PrivacyRequest, PrivacyTopic
from shipflow.providers.errors import MalformedWebhook
from shipflow.providers.fields import Fields

TOPICS = frozenset(t.value for t in PrivacyTopic)


def parse_privacy_request(topic: str, payload: Any) -> PrivacyRequest:
    """The request of one compliance webhook; raises `MalformedWebhook` naming the field."""
    kind = PrivacyTopic(topic)
    root = Fields(payload, "", MalformedWebhook)
    shop_domain = root.req_string("shop_domain").strip().lower()
    shop_id = root.integer("shop_id", required=False)
    if kind is PrivacyTopic.SHOP_REDACT:
        return PrivacyRequest(kind, shop_id, shop_domain)
    customer = root.obj("customer")
    orders_key = "orders_requested" if kind is PrivacyTopic.DATA_REQUEST else "orders_to_redact"
    order_ids = []
    for index, value in enumerate(root.array(orders_key, required=False) or []):
        if not isinstance(value, int) or isinstance(value, bool):
            raise MalformedWebhook(f"{orders_key}[{index}]: expected an integer order id")
        order_ids.append(value)
    data_request = root.optional_obj("data_request")
    return PrivacyRequest(
        topic=kind, shop_id=shop_id, shop_domain=shop_domain,
        customer_id=customer.req_integer("id"),
        email=customer.string("email", required=False, empty_is_none=True),
        phone=customer.string("phone", required=False, empty_is_none=True),
        order_ids=tuple(order_ids),
        data_request_id=data_request.integer("id", required=False) if data_request else None,
    )
