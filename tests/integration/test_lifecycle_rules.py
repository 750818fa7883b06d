"""Each routing rule end to end on the sandbox, on SQLite and PostgreSQL: what ShipStation,
Shopify and Klaviyo recorded, and the decision on shipflow's timeline."""

from __future__ import annotations

from pathlib import Path

from tests.integration.lifecycle_env import Scenario, running, wait_until

RULES = """
version: 1
vars:
  signature_threshold: 250
policy:
  default_backorder: {policy}
rules:
  - name: signature-above-threshold
    when: order.total_price > vars.signature_threshold
    then: {{confirmation: signature}}
  - name: address-review
    when: "!order.destination.contiguous_us"
    then: {{hold: {{reason: address_review, note: "Check the address before any label"}}}}
  - name: heavy-parcels-ground
    when: order.total_weight_grams > 9000 && order.destination.contiguous_us
    then: {{service: {{carrier: fedex, service: fedex_ground}}}}
  - name: tag-kettles
    when: "'KTL-GOOSE-BK' in order.skus"
    then: {{tags: [kettle, gift-check]}}
"""


def rules(policy: str = "split") -> str:
    return RULES.format(policy=policy)


def decisions(s: Scenario, order_id: int) -> list[str]:
    view = s.view(order_id) or {}
    return [e["message"] for e in view.get("timeline", []) if e["kind"] == "decision"]


def test_signature_service_and_tags(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules()) as s:
        [pricey] = s.place(line_items=[{"sku": "KTL-GOOSE-BK", "quantity": 3}],
                           destination="contiguous")
        [cheap] = s.place(line_items=[{"sku": "FLT-PAPER-100", "quantity": 1}],
                          destination="contiguous")
        [heavy] = s.place(line_items=[{"sku": "ESP-MACH-PRO", "quantity": 1}],
                          destination="contiguous")
        s.set_stock("ESP-MACH-PRO", 10)
        for order_id in (pricey, cheap, heavy):
            s.wait_state(order_id, "shipped", "partially_shipped", "in_shipstation")
        assert s.shipstation_order(str(pricey))["confirmation"] == "signature"
        assert s.shipstation_order(str(cheap))["confirmation"] in (None, "none")
        heavy_ss = s.shipstation_order(str(heavy))
        assert heavy_ss["carrierCode"] == "fedex" and heavy_ss["serviceCode"] == "fedex_ground"
        assert any("signature-above-threshold" in d for d in decisions(s, pricey))
        assert any("heavy-parcels-ground" in d for d in decisions(s, heavy))
        assert decisions(s, cheap) == []
        wait_until(lambda: "gift-check" in str(s.shopify_order(pricey)["order"].get("tags")))
        assert "kettle" in str(s.shopify_order(pricey)["order"]["tags"])


def test_address_review_holds_both_sides_until_released(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules()) as s:
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="noncontiguous")
        s.wait_state(order_id, "on_hold")
        ss = s.shipstation_order(str(order_id))
        assert ss["orderStatus"] == "on_hold"
        wait_until(lambda: any(h["reason"] == "INCORRECT_ADDRESS"
                               for fo in s.shopify_order(order_id)["fulfillment_orders"]
                               for h in fo["holds"]))
        assert any("address-review" in d for d in decisions(s, order_id))
        assert s.release(order_id).status_code == 202
        s.wait_state(order_id, "shipped", timeout=60)
        shop = s.shopify_order(order_id)
        assert all(not fo["holds"] for fo in shop["fulfillment_orders"])
        assert len(shop["fulfillments"]) == 1
        assert len(s.events_for(order_id, "Order Shipped")) == 1
        assert s.release(order_id).status_code == 409  # nothing on hold any more


def test_backorder_split_ships_now_and_later(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules("split")) as s:
        s.set_stock("GRN-BURR-01", 0)
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1},
                                         {"sku": "GRN-BURR-01", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "partially_shipped")
        first, second = s.shipstation_order(str(order_id)), s.shipstation_order(f"{order_id}-2")
        assert [i["sku"] for i in first["items"]] == ["MUG-CER-16"]
        assert [i["sku"] for i in second["items"]] == ["GRN-BURR-01"]
        assert second["orderStatus"] == "on_hold"
        [delay] = s.events_for(order_id, "Backorder Delayed")
        assert delay["properties"]["BackorderedSkus"] == ["GRN-BURR-01"]
        [fulfillment] = s.shopify_order(order_id)["fulfillments"]
        assert [li["sku"] for li in fulfillment["line_items"]] == ["MUG-CER-16"]

        s.set_stock("GRN-BURR-01", 5)  # restock: inventory_levels/update
        s.wait_state(order_id, "shipped", timeout=60)
        assert len(s.shopify_order(order_id)["fulfillments"]) == 2
        assert len(s.events_for(order_id, "Back In Stock")) == 1
        assert len(s.events_for(order_id, "Order Shipped")) == 2


def test_backorder_hold_holds_everything_until_restock(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules("hold")) as s:
        s.set_stock("GRN-BURR-01", 0)
        older = s.place(line_items=[{"sku": "GRN-BURR-01", "quantity": 1}],
                        destination="contiguous")[0]
        newer = s.place(line_items=[{"sku": "GRN-BURR-01", "quantity": 1},
                                    {"sku": "MUG-CER-16", "quantity": 1}],
                        destination="contiguous")[0]
        for order_id in (older, newer):
            s.wait_state(order_id, "backordered")
            assert s.shipstation_order(str(order_id))["orderStatus"] == "on_hold"
        wait_until(lambda: any(h["reason"] == "INVENTORY_OUT_OF_STOCK"
                               for fo in s.shopify_order(newer)["fulfillment_orders"]
                               for h in fo["holds"]))
        # Both orders committed a unit they did not have: available is -2. One unit arrives
        # (-1): enough for the oldest only; a second one (0) covers the newer.
        s.set_stock("GRN-BURR-01", -1)
        s.wait_state(older, "shipped")
        assert s.state(newer) == "backordered"
        s.set_stock("GRN-BURR-01", 0)
        s.wait_state(newer, "shipped")
        assert len(s.events_for(newer, "Back In Stock")) == 1


def test_backorder_notify_ships_and_tells(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules("notify")) as s:
        s.set_stock("GRN-BURR-01", 0)
        [order_id] = s.place(line_items=[{"sku": "GRN-BURR-01", "quantity": 2}],
                             destination="contiguous")
        s.wait_state(order_id, "shipped")
        [delay] = s.events_for(order_id, "Backorder Delayed")
        assert delay["properties"]["BackorderedSkus"] == ["GRN-BURR-01"]
        assert s.shipstation_order(str(order_id))["orderStatus"] == "shipped"


def test_cancel_stops_pending_work(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules()) as s:
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="military")
        s.wait_state(order_id, "on_hold")
        s.cancel(order_id)
        s.wait_state(order_id, "cancelled")
        assert s.shipstation_order(str(order_id))["orderStatus"] == "cancelled"
        view = s.view(order_id)
        assert any(e["kind"] == "cancelled" for e in view["timeline"])


def test_relabel_updates_tracking_instead_of_a_second_fulfillment(
        tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, rules()) as s:
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "shipped")
        ss = s.shipstation_order(str(order_id))
        s.http.post(f"{s.sandbox}/_sandbox/shipstation/ship",
                    json={"orderIds": [ss["orderId"]], "relabel": True}).raise_for_status()
        wait_until(lambda: len(s.events_for(order_id, "Order Shipped")) == 2)
        [fulfillment] = s.shopify_order(order_id)["fulfillments"]
        latest = s.events_for(order_id, "Order Shipped")
        numbers = {e["properties"]["TrackingNumber"] for e in latest}
        assert len(numbers) == 2
        view = s.view(order_id)
        live = [sh for sh in view["shipments"] if sh["state"] != "voided"]
        assert len(live) == 1 and live[0]["tracking_number"] in str(fulfillment)


API_RULES = """
version: 1
policy:
  labels: {{mode: api, choose: {choose}, preferred_carrier: ups, promised_business_days: 3}}
rules:
  - name: signature-above-threshold
    when: order.total_price > 250.0
    then: {{confirmation: signature}}
"""


def test_api_label_mode_buys_the_cheapest_on_time_rate(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, API_RULES.format(choose="cheapest_on_time"),
                 auto_ship=False) as s:
        [order_id] = s.place(line_items=[{"sku": "MUG-CER-16", "quantity": 2}],
                             destination="contiguous")
        s.wait_state(order_id, "shipped")
        ss = s.shipstation_order(str(order_id))
        assert ss["orderStatus"] == "shipped"  # marked shipped with the bought label
        [shipped] = s.events_for(order_id, "Order Shipped")
        [fulfillment] = s.shopify_order(order_id)["fulfillments"]
        assert shipped["properties"]["TrackingNumber"] in str(fulfillment)
        bought = [e for e in s.view(order_id)["timeline"] if e["kind"] == "label_bought"]
        assert len(bought) == 1 and "cheapest rate arriving by" in bought[0]["message"]


def test_api_label_mode_prefers_the_merchants_carrier(tmp_path: Path, database_url: str) -> None:
    with running(tmp_path, database_url, API_RULES.format(choose="preferred_carrier"),
                 auto_ship=False) as s:
        [order_id] = s.place(line_items=[{"sku": "TEE-LOGO-M", "quantity": 1}],
                             destination="contiguous")
        s.wait_state(order_id, "shipped")
        [shipped] = s.events_for(order_id, "Order Shipped")
        assert shipped["properties"]["CarrierCode"] == "ups"
        bought = [e for e in s.view(order_id)["timeline"] if e["kind"] == "label_bought"]
        assert "cheapest ups rate" in bought[0]["message"]
