"""ShipStation v1 webhook subscriptions (shipstation.md §1.6, §1.7): pure builders and parsers.

`GET /webhooks` answers `{"webhooks": [{"WebHookID", "HookType", "Url", "Name", "StoreID",
"Active", …}]}`; `POST /webhooks/subscribe` takes `{"target_url", "event", "store_id",
"friendly_name"}` and answers `{"id": n}`. The docs say nothing of a duplicate subscription,
so a caller lists first and subscribes only what is missing (assumption: ShipStation accepts a
second identical subscription and would then deliver twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipflow.providers.errors import UnexpectedResponse
from shipflow.providers.fields import Fields

EVENTS = ("ORDER_NOTIFY", "ITEM_ORDER_NOTIFY", "SHIP_NOTIFY", "ITEM_SHIP_NOTIFY",
          "FULFILLMENT_SHIPPED", "FULFILLMENT_REJECTED")


@dataclass(frozen=True, slots=True)
class V1Webhook:
    webhook_id: int
    event: str
    url: str
    name: str | None = None
    store_id: int | None = None
    active: bool = True


def parse_webhooks(body: Any) -> list[V1Webhook]:
    root = Fields(body, "", UnexpectedResponse)
    return [V1Webhook(webhook_id=hook.req_integer("WebHookID"), event=hook.req_string("HookType"),
                      url=hook.req_string("Url"), name=hook.string("Name", required=False),
                      store_id=hook.integer("StoreID", required=False),
                      active=hook.boolean("Active", True))
            for hook in root.objects("webhooks")]


def subscribe_request(target_url: str, event: str, *, store_id: int | None = None,
                      friendly_name: str | None = None) -> dict[str, Any]:
    if event not in EVENTS:
        raise ValueError(f"unknown ShipStation webhook event {event!r}")
    return {"target_url": target_url, "event": event, "store_id": store_id,
            "friendly_name": friendly_name}


def parse_subscribed(body: Any) -> int:
    return Fields(body, "", UnexpectedResponse).req_integer("id")
