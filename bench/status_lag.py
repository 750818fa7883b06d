"""Status lag: at a steady rate of labels (default 20 shipments/s), the time from the label's
SHIP_NOTIFY to the Shopify fulfillment with tracking, and to the Klaviyo `Order Shipped` event.

The sandbox enforces the published limits with time compressed 60x; shipflow's ShipStation
budget is told the same. Lags are measured from the moment this process asked the warehouse to
print the batch (the SHIP_NOTIFY follows at once) to the moments shipflow's timeline records the
fulfillment and the event as done.

    python bench/status_lag.py [--rate 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from common import emit, percentile, start, stop, wait_http

from shipflow.demo import NO_RULES, make_environment
from shipflow.netutil import free_port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=20, help="shipments per second")
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    total = args.rate * args.seconds

    work = Path(tempfile.mkdtemp(prefix="shipflow-bench-"))
    port = free_port()
    env = make_environment(work, port, free_port(), rules=NO_RULES)
    proc_env = {**env.sandbox_config.orchestrator_env(env.sandbox_url),
                "SHIPFLOW_SHOPIFY_SHOP_DOMAIN": env.sandbox_config.shop_domain,
                "SHIPFLOW_API_INSECURE": "1",  # the benchmark reads /api/summary
                "SHIPFLOW_RULES": str(env.settings.rules),
                "SHIPFLOW_DATABASE_URL": env.settings.database_url,
                "SHIPFLOW_SHIPSTATION_RATE_LIMIT": env.settings.shipstation_rate_limit,
                "SHIPFLOW_SANDBOX_TIME_SCALE": str(env.sandbox_config.time_scale)}
    sandbox = env.sandbox_url
    procs = [start(["sandbox", "--port", sandbox.rsplit(":", 1)[1], "--shipflow-url",
                    f"http://127.0.0.1:{port}", "--tracking-url", ""], proc_env,
                   work / "sandbox.log")]
    try:
        wait_http(f"{sandbox}/_sandbox/summary")
        procs.append(start(["serve", "--port", str(port)], proc_env, work / "serve.log"))
        wait_http(f"http://127.0.0.1:{port}/healthz")
        with httpx.Client(timeout=60) as http:
            http.post(f"{sandbox}/_sandbox/shopify/orders", json={"count": total}).raise_for_status()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                states = http.get(f"http://127.0.0.1:{port}/api/summary").json()["orders_by_state"]
                if states.get("in_shipstation", 0) >= total:
                    break
                time.sleep(0.5)
            waiting = http.get(f"{sandbox}/_sandbox/shipstation/orders").json()["orders"]
            by_id = {o["orderId"]: int(o["orderKey"]) for o in waiting}
            ids = sorted(by_id)
            asked: dict[int, float] = {}  # Shopify order id -> when its label was asked for
            t0 = time.monotonic()
            for second in range(args.seconds):
                pause = t0 + second - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                batch = ids[second * args.rate:(second + 1) * args.rate]
                now = time.time()
                http.post(f"{sandbox}/_sandbox/shipstation/ship",
                          json={"orderIds": batch}).raise_for_status()
                asked.update({by_id[i]: now for i in batch})
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                states = http.get(f"http://127.0.0.1:{port}/api/summary").json()["orders_by_state"]
                if states.get("shipped", 0) >= total:
                    break
                time.sleep(0.5)
            # shipflow's timeline records, to the microsecond, when the Shopify fulfillment call
            # and the Klaviyo call came back (the sandbox's own timestamps have whole seconds).
            to_shopify, to_klaviyo = [], []
            for order_id, at in asked.items():
                view = http.get(f"http://127.0.0.1:{port}/api/orders/{order_id}").json()
                when = {e["kind"]: datetime.fromisoformat(e["at"]).timestamp()
                        for e in view["timeline"]}
                if "fulfilled" in when:
                    to_shopify.append(when["fulfilled"] - at)
                if "shipped" in when:
                    to_klaviyo.append(when["shipped"] - at)
        emit({
            "benchmark": "status_lag",
            "shipments_per_s": args.rate,
            "shipments": total,
            "fulfilled": len(to_shopify),
            "klaviyo_events": len(to_klaviyo),
            "to_shopify_p50_ms": round(percentile(to_shopify, 50) * 1000, 1),
            "to_shopify_p99_ms": round(percentile(to_shopify, 99) * 1000, 1),
            "to_klaviyo_p50_ms": round(percentile(to_klaviyo, 50) * 1000, 1),
            "to_klaviyo_p99_ms": round(percentile(to_klaviyo, 99) * 1000, 1),
        })
    finally:
        for proc in reversed(procs):
            stop(proc)


if __name__ == "__main__":
    main()
