"""One order through all three simulators, driven the way the orchestrator drives them."""

from __future__ import annotations

import json

import httpx
from sandbox_helpers import FULFILL, ORDER_QUERY, ShopifyClient, wait_until


def test_order_to_shipment_to_fulfillment_to_klaviyo(make_sandbox, receiver):
    sandbox = make_sandbox(
        shopify_webhook_url=receiver.url("/webhooks/shopify"),
        shipstation_webhook_urls=[receiver.url("/webhooks/shipstation/token")],
        auto_ship_after=0.1,
    )
    config = sandbox.config
    shopify = ShopifyClient(sandbox)
    shopify.place_orders(1)
    created = wait_until(
        lambda: next(
            (r for r in receiver.received if r.headers.get("x-shopify-topic") == "orders/create"),
            None,
        )
    )
    order = json.loads(created.body)

    ship_to = order["shipping_address"]
    body = {
        "orderNumber": order["name"],
        "orderKey": order["admin_graphql_api_id"],
        "orderDate": order["created_at"],
        "orderStatus": "awaiting_shipment",
        "customerEmail": order["email"],
        "billTo": {"name": ship_to["name"]},
        "shipTo": {
            "name": ship_to["name"],
            "street1": ship_to["address1"],
            "city": ship_to["city"],
            "state": ship_to["province_code"],
            "postalCode": ship_to["zip"],
            "country": ship_to["country_code"],
        },
        "items": [
            {
                "lineItemKey": str(li["id"]),
                "sku": li["sku"],
                "name": li["name"],
                "quantity": li["quantity"],
                "unitPrice": float(li["price"]),
                "weight": {"value": li["grams"], "units": "grams"},
            }
            for li in order["line_items"]
        ],
        "requestedShippingService": order["shipping_lines"][0]["title"],
    }
    credentials = (config.shipstation_api_key, config.shipstation_api_secret)
    response = httpx.post(
        sandbox.url("/shipstation/orders/createorder"), json=body, auth=credentials
    )
    assert response.status_code == 200

    notice = wait_until(
        lambda: next(
            (r for r in receiver.received if r.path.startswith("/webhooks/shipstation")), None
        )
    )
    shipment = httpx.get(json.loads(notice.body)["resource_url"], auth=credentials).json()[
        "shipments"
    ][0]
    assert shipment["orderKey"] == order["admin_graphql_api_id"]

    fo = shopify.gql(ORDER_QUERY, id=shipment["orderKey"])["data"]["order"]["fulfillmentOrders"][
        "nodes"
    ][0]
    carrier = {"stamps_com": "USPS", "ups": "UPS", "fedex": "FedEx"}[shipment["carrierCode"]]
    result = shopify.gql(
        FULFILL,
        fulfillment={
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}],
            "trackingInfo": {"company": carrier, "number": shipment["trackingNumber"]},
        },
    )["data"]["fulfillmentCreate"]
    assert result["userErrors"] == []
    tracking_url = result["fulfillment"]["trackingInfo"][0]["url"]

    event = {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {
                    "OrderId": str(order["id"]),
                    "TrackingNumber": shipment["trackingNumber"],
                    "TrackingUrl": tracking_url,
                    "Carrier": carrier,
                },
                "metric": {"data": {"type": "metric", "attributes": {"name": "Order Shipped"}}},
                "profile": {"data": {"type": "profile", "attributes": {"email": order["email"]}}},
                "unique_id": f"Order Shipped:{order['id']}:{shipment['shipmentId']}",
            },
        }
    }
    klaviyo_headers = {
        "Authorization": f"Klaviyo-API-Key {config.klaviyo_api_key}",
        "revision": "2026-07-15",
        "Content-Type": "application/vnd.api+json",
    }
    for _ in range(2):
        sent = httpx.post(sandbox.url("/klaviyo/api/events"), json=event, headers=klaviyo_headers)
        assert sent.status_code == 202

    summary = httpx.get(sandbox.url("/_sandbox/summary")).json()
    assert summary["shopify"]["fulfilled_orders"] == 1
    assert summary["shopify"]["fulfillments_with_tracking"] == 1
    assert summary["shipstation"]["orders_by_status"] == {"shipped": 1}
    assert summary["klaviyo"]["events_by_metric"] == {"Order Shipped": 1}
    assert summary["klaviyo"]["duplicates_dropped"] == 1
    assert summary["requests"]["klaviyo POST /api/events"] == 2
