"""What the merchant does in the Shopify admin, driven by `/_sandbox/` controls: set stock,
cancel an order, refund it. Each sends the webhooks Shopify sends (shopify.md §2, §6, §8.3).

- stock: `inventory_levels/update` `{inventory_item_id, location_id, available, updated_at,
  admin_graphql_api_id}` (`inventory_levels_update_docs_2026-07.json`);
- cancel: the order gets `cancelled_at`, `cancel_reason` (`customer`, `fraud`, `inventory`,
  `declined`, `other`) and `closed_at`; open fulfillment orders become CANCELLED; unfulfilled
  units go back to stock when `restock` (default true); `orders/cancelled` carries the order;
- refund: a Refund object (`refund_line_items[]` with `restock_type`, `transactions[]` of kind
  `refund`) on `refunds/create`; the order's `refunds` and `financial_status` follow.
Echo topics (`orders/updated`, and `inventory_levels/update` for order-driven stock changes)
only go out with `shopify_echo_topics`, as elsewhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shipflow_sandbox.shopify.ids import IdAllocator, gid
from shipflow_sandbox.shopify.inventory import Inventory
from shipflow_sandbox.shopify.rest import money, money_set
from shipflow_sandbox.shopify.store import LOCATION_ID, ShopifyStore, ShopOrder

CANCEL_REASONS = ("customer", "fraud", "inventory", "declined", "other")


class MerchantError(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Merchant:
    def __init__(self, store: ShopifyStore, inventory: Inventory, ids: IdAllocator,
                 echo: bool) -> None:
        self.store = store
        self.inventory = inventory
        self.ids = ids
        self.echo = echo

    def set_stock(self, sku: str, available: int, policy: str | None = None,
                  deliver: bool = True) -> dict[str, Any]:
        """Set `available` (and the overselling policy, `deny` or `continue`); send
        `inventory_levels/update` unless `deliver` is False (staging a scenario silently)."""
        if sku not in self.inventory.by_sku:
            raise MerchantError(f"unknown sku {sku!r}", 404)
        if policy is not None and policy.lower() not in ("deny", "continue"):
            raise MerchantError('policy must be "deny" or "continue"', 400)
        item = self.inventory.set_available(sku, available,
                                            policy.upper() if policy is not None else None)
        if deliver:
            self.store.emit([("inventory_levels/update", self.inventory.level_json(item))])
        return self.inventory.to_json(item)

    def stock_changed(self, items: list[Any]) -> list[tuple[str, dict[str, Any]]]:
        if not self.echo:
            return []
        return [("inventory_levels/update", self.inventory.level_json(i)) for i in items]

    def cancel(self, order: ShopOrder, reason: str, restock: bool) -> dict[str, Any]:
        if reason not in CANCEL_REASONS:
            raise MerchantError(f"reason must be one of {', '.join(CANCEL_REASONS)}", 400)
        rest = order.rest
        if rest.get("cancelled_at"):
            raise MerchantError("Order has already been cancelled.")
        stamp = self.store.timestamp()
        unfulfilled = []
        for fo in self.store.order_fulfillment_orders(order):
            for line in fo.lines:
                if line.remaining_quantity and fo.status not in ("CLOSED", "CANCELLED"):
                    item = order.line_item(line.line_item_id)
                    unfulfilled.append({"sku": item.get("sku"),
                                        "quantity": line.remaining_quantity})
            if fo.status not in ("CLOSED", "CANCELLED"):
                fo.status, fo.updated_at = "CANCELLED", stamp
        rest.update(cancelled_at=stamp, cancel_reason=reason, closed_at=stamp, updated_at=stamp)
        if rest.get("financial_status") == "paid":
            rest["financial_status"] = "refunded"
        touched = self.inventory.restock(unfulfilled, from_committed=True) if restock else []
        topics = [("orders/cancelled", rest)]
        if self.echo:
            topics.append(("orders/updated", rest))
        self.store.emit(topics + self.stock_changed(touched))
        return rest

    def refund(self, order: ShopOrder, lines: list[dict[str, Any]] | None, restock: bool,
               note: str | None) -> dict[str, Any]:
        rest = order.rest
        wanted = lines or [{"line_item_id": li["id"], "quantity": li["quantity"]}
                           for li in rest.get("line_items", [])]
        refund_id = self.ids.next("Refund")
        stamp = self.store.timestamp()
        refund_lines, total, restocked = [], Decimal(0), []
        for entry in wanted:
            try:
                item = order.line_item(int(entry["line_item_id"]))
            except (KeyError, StopIteration, TypeError, ValueError) as exc:
                raise MerchantError(f"unknown line item {entry.get('line_item_id')!r}",
                                    400) from exc
            quantity = int(entry.get("quantity") or item["quantity"])
            subtotal = Decimal(item["price"]) * quantity
            total += subtotal
            fulfilled = item.get("fulfillment_status") == "fulfilled"
            restock_type = ("return" if fulfilled else "cancel") if restock else "no_restock"
            if restock:
                restocked += self.inventory.restock([{"sku": item.get("sku"),
                                                      "quantity": quantity}],
                                                    from_committed=not fulfilled)
            line_id = self.ids.next("RefundLineItem")
            refund_lines.append({
                "id": line_id, "line_item_id": item["id"],
                "location_id": LOCATION_ID if restock else None, "quantity": quantity,
                "restock_type": restock_type, "subtotal": float(subtotal),
                "subtotal_set": money_set(money(subtotal)), "total_tax": 0.0,
                "total_tax_set": money_set("0.00"), "line_item": item,
            })
        transaction_id = self.ids.next("Transaction")
        refund = {
            "id": refund_id,
            "order_id": order.id,
            "created_at": stamp,
            "note": note,
            "user_id": None,
            "processed_at": stamp,
            "duties": [],
            "total_duties_set": money_set("0.00"),
            "return": None,
            "restock": restock,
            "refund_shipping_lines": [],
            "admin_graphql_api_id": gid("Refund", refund_id),
            "order_adjustments": [],
            "refund_line_items": refund_lines,
            "transactions": [{
                "id": transaction_id, "order_id": order.id, "kind": "refund",
                "gateway": (rest.get("payment_gateway_names") or ["manual"])[0],
                "status": "success", "message": "Transaction approved", "created_at": stamp,
                "test": bool(rest.get("test")), "authorization": None, "location_id": None,
                "user_id": None, "parent_id": None, "processed_at": stamp, "device_id": None,
                "error_code": None, "source_name": "web", "receipt": {},
                "amount": money(total), "currency": rest.get("currency", "USD"),
                "payment_id": f"#{rest.get('order_number', order.id)}.{len(rest.get('refunds', [])) + 2}",
                "total_unsettled_set": money_set("0.00"), "manual_payment_gateway": False,
                "admin_graphql_api_id": gid("OrderTransaction", transaction_id),
            }],
        }
        rest.setdefault("refunds", []).append(refund)
        refunded = sum(Decimal(t["amount"]) for r in rest["refunds"] for t in r["transactions"])
        full = refunded >= Decimal(rest.get("total_price") or "0")
        rest["financial_status"] = "refunded" if full else "partially_refunded"
        rest["updated_at"] = stamp
        topics = [("refunds/create", refund)]
        if self.echo:
            topics.append(("orders/updated", rest))
        self.store.emit(topics + self.stock_changed(restocked))
        return refund
