"""Drain vs bound: the 10,000-order sale against the providers' published rate limits.

The sandbox enforces the limits with time compressed (`--time-scale`, a simulated minute lasts
60/scale real seconds) on the chosen Shopify plan; one `shipflow serve` on SQLite is told the same
scale for ShipStation's 40 requests a "minute". N paid orders are placed at once (`orders/create` +
`orders/paid` for each), the warehouse prints every order's label `--auto-ship-after` simulated
seconds after it reached ShipStation (in batches of the sandbox's `ship_batch_size`, one
SHIP_NOTIFY each), and the run ends when the sandbox has recorded every order's Klaviyo
`Order Shipped` event.

The bound is the theoretical minimum drain time from the call plan the sale needs and the
published limits (each provider's allowance: its initial burst/bucket, then its sustained rate):

- ShipStation v1, 40 requests per 60 s per key: ceil(N/100) bulk `createorders` + one
  `GET /shipments?batchId=` per SHIP_NOTIFY; orders that reach the warehouse 100 at a time are
  printed in full batches of `ship_batch_size` (20), so ceil(N/20) of them ->
  (calls - 40) * 60/40 s. (The SHIP_NOTIFYs actually sent are reported as `ship_notify`.)
- Shopify GraphQL, the plan's bucket and restore rate (read live from `throttleStatus`): per order
  the fulfillment-order read and one `fulfillmentCreate`, at the *actual* cost the sandbox charges
  (probed after the run) -> (N * points - bucket) / restore s, + the warehouse delay (nothing can
  be fulfilled before the first label exists).
- Klaviyo, Bulk Create Events (M tier, 10/s and 150/min): ceil(N/1000) jobs ->
  (jobs - 150) * 60/150 s (0 for any sale under 150,000 orders), + the warehouse delay. Sending
  one Create Event per order instead (XL, 350/s, 3500/min) is reported for comparison.

Providers work in parallel on different orders (each order goes ShipStation -> Shopify -> Klaviyo
in sequence, but the sale pipelines), so the bound is the maximum of the three; their sum (no
overlap at all) is reported too. Efficiency = bound / actual, both in simulated seconds.

Time scale: what is not rate-limited (webhooks in, the sandbox's GraphQL, shipflow's workflows)
runs in real time and costs ~165 s real for 10,000 orders on this 2-core machine, so the defaults
(Standard x8, Plus x5) make the bound last about that long; at x60 the figure would measure the
CPU, not the pacing (see bench/README.md).

Figures: actual drain (first order placed -> last `Order Shipped` recorded), bound and its terms,
efficiency, calls per order per provider (the sandbox's request counters, which count every
request, rate-limited ones included), rate-limited answers per provider (429 / Shopify THROTTLED,
from shipflow's log; Klaviyo's also from the sandbox's own counter), orders lost, each provider's
utilisation of its allowance over the drain, and when each lifecycle stage finished.

    python bench/drain.py [--plan standard|plus] [--orders 10000] [--time-scale S]
                          [--trace trace.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from common import emit, start, stop, wait_http

from shipflow.demo import NO_RULES, make_environment
from shipflow.netutil import free_port
from shipflow.providers.shopify import graphql as gql

# Published limits (shipstation.md §1.2, klaviyo.md §4). Shopify's come from the sandbox's answer.
SHIPSTATION_LIMIT, SHIPSTATION_WINDOW = 40, 60.0
SHIPSTATION_BULK = 100  # createorders maximum (shipstation.md §1.6)
SHIPSTATION_PAGE = 100  # GET /shipments default pageSize: a SHIP_NOTIFY batch up to this is 1 GET
KLAVIYO_BULK_EVENTS = 1000  # events per bulk job (klaviyo.md §3)
KLAVIYO_BULK_TIER = (10, 150)  # M: per second, per minute
KLAVIYO_EVENT_TIER = (350, 3500)  # XL: Create Event
# At these scales the bound lasts ~170 s real on either plan, as long as the ~165 s of CPU the
# drain needs on this machine, so the limits, not the two cores, decide (see bench/README.md).
DEFAULT_TIME_SCALE = {"standard": 8.0, "plus": 5.0}
AUTO_SHIP_AFTER = 1.0  # simulated seconds the warehouse takes to print a label
POLL = 0.25
MAX_PER_POST = 10_000  # the sandbox's limit for {"count": N}
_RATE_LIMITED = re.compile(
    r"shipflow\.providers: (shopify|shipstation|klaviyo) \S+ \S+ failed: RateLimited")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLOCK_TICKS


def window_time(work: float, burst: float, per_second: float) -> float:
    """Seconds to get `work` through an allowance of `burst` at once, then `per_second`."""
    return max(0.0, work - burst) / per_second


def probe_shopify_costs(sandbox: str, token: str, order_gid: str) -> dict[str, Any]:
    """Ask the sandbox what the two calls of an order cost (after the run, so the bucket is not
    disturbed): the fulfillment-order read shipflow sends, and a `fulfillmentCreate` refused for
    an empty input (a mutation's actual cost does not depend on its result; nothing changes)."""
    url = f"{sandbox}/shopify/admin/api/2026-07/graphql.json"
    headers = {"X-Shopify-Access-Token": token}
    read = httpx.post(url, headers=headers, timeout=30, json=gql.request_body(
        gql.OPEN_FULFILLMENT_ORDERS, {"id": order_gid})).json()
    create = httpx.post(url, headers=headers, timeout=30, json=gql.request_body(
        gql.FULFILLMENT_CREATE, {"fulfillment": {"lineItemsByFulfillmentOrder": [],
                                                 "trackingInfo": {"number": "PROBE"}}})).json()
    r, c = read["extensions"]["cost"], create["extensions"]["cost"]
    status = c["throttleStatus"]
    return {"read_requested": r["requestedQueryCost"], "read_actual": r["actualQueryCost"],
            "create_requested": c["requestedQueryCost"], "create_actual": c["actualQueryCost"],
            "bucket": status["maximumAvailable"], "restore_per_real_s": status["restoreRate"]}


def timeline(db_path: Path, t0: float) -> dict[str, list[float]]:
    """shipflow's timeline: for each kind of entry, the real seconds since `t0` it was written."""
    engine = sa.create_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT kind, at, detail FROM timeline")).all()
    engine.dispose()
    out: dict[str, list[float]] = {}
    for kind, at, detail in rows:
        if kind == "told":
            if "Order Shipped" not in str(detail):
                continue  # another milestone (none in this run: carrier tracking is off)
            kind = "klaviyo_order_shipped"
        moment = datetime.fromisoformat(str(at))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        out.setdefault(kind, []).append(moment.timestamp() - t0)
    for values in out.values():
        values.sort()
    return out


def calls_by_provider(requests: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(HTTP requests per provider, Shopify root fields sent) from the sandbox's counters."""
    per_provider: Counter[str] = Counter()
    fields: dict[str, int] = {}
    for key, count in requests.items():
        if key.startswith("shopify graphql "):
            fields[key.removeprefix("shopify graphql ")] = count
        else:
            per_provider[key.split(" ", 1)[0]] += count
    return dict(per_provider), fields


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", choices=sorted(DEFAULT_TIME_SCALE), default="standard")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--time-scale", type=float, default=None,
                        help="simulated seconds per real second (default: 8 standard, 5 plus)")
    parser.add_argument("--timeout", type=float, default=1800, help="real seconds")
    parser.add_argument("--trace", type=Path, default=None,
                        help="write per-second stage counts and the sandbox's counters here")
    args = parser.parse_args()
    n = args.orders
    scale = args.time_scale or DEFAULT_TIME_SCALE[args.plan]

    work = Path(tempfile.mkdtemp(prefix="shipflow-bench-"))
    port = free_port()
    env = make_environment(work, port, free_port(), time_scale=scale, rules=NO_RULES)
    sandbox = env.sandbox_url
    shipflow = f"http://127.0.0.1:{port}"
    proc_env = {**env.sandbox_config.orchestrator_env(sandbox),
                "SHIPFLOW_SHOPIFY_SHOP_DOMAIN": env.sandbox_config.shop_domain,
                "SHIPFLOW_API_INSECURE": "1",  # the benchmark reads /api/summary
                "SHIPFLOW_DATABASE_URL": env.settings.database_url,
                "SHIPFLOW_RULES": env.settings.rules or "",
                "SHIPFLOW_SHIPSTATION_RATE_LIMIT": env.settings.shipstation_rate_limit,
                "SHIPFLOW_SANDBOX_SHOPIFY_PLAN": args.plan,
                "SHIPFLOW_SANDBOX_TIME_SCALE": f"{scale:g}"}
    procs = [start(["sandbox", "--port", sandbox.rsplit(":", 1)[1], "--shipflow-url", shipflow,
                    "--tracking-url", "", "--rate-limits", "--time-scale", f"{scale:g}",
                    "--auto-ship-after", f"{AUTO_SHIP_AFTER:g}"], proc_env, work / "sandbox.log")]
    samples: list[dict[str, Any]] = []
    try:
        wait_http(f"{sandbox}/_sandbox/summary")
        procs.append(start(["serve", "--port", str(port)], proc_env, work / "serve.log"))
        wait_http(f"{shipflow}/healthz")
        time.sleep(1.0)  # the worker's queues are polling
        with httpx.Client(timeout=120) as http:
            cpu0 = [cpu_seconds(p.pid) for p in procs]
            t0 = time.time()
            placed: list[dict[str, Any]] = []
            for offset in range(0, n, MAX_PER_POST):
                count = min(MAX_PER_POST, n - offset)
                answer = http.post(f"{sandbox}/_sandbox/shopify/orders", json={"count": count})
                answer.raise_for_status()
                placed += answer.json()["orders"]
            placed_s = time.time() - t0
            # Progress is read from shipflow's database (an indexed count, cheap for both sides);
            # the sandbox's summary, which walks every order and delivery, only with --trace.
            db = sa.create_engine(env.settings.database_url)
            # Klaviyo calls recorded done in shipflow's outbound ledger: only `Order Shipped`
            # events in this run (carrier tracking is off).
            progress = sa.text("SELECT count(*) FROM outbound_ledger WHERE provider = 'klaviyo' "
                               "AND status IN ('done', 'failed')")
            done, last_change, last_seen, last_sample = 0, time.time(), -1, 0.0
            while True:
                time.sleep(POLL)
                with db.connect() as conn:
                    done = conn.execute(progress).scalar_one()
                now = time.time()
                if args.trace is not None and now - last_sample >= 2.0:
                    last_sample = now
                    summary = http.get(f"{sandbox}/_sandbox/summary").json()
                    samples.append({"t": round(now - t0, 2), "requests": summary["requests"],
                                    "shipped": summary["klaviyo"]["events_by_metric"].get(
                                        "Order Shipped", 0)})
                if done != last_seen:
                    last_seen, last_change = done, now
                if done >= n:
                    break
                if now - t0 > args.timeout or now - last_change > 60:
                    break  # lost or stuck: report what got through
            detected_s = time.time() - t0
            cpu = [cpu_seconds(p.pid) - c for p, c in zip(procs, cpu0, strict=True)]
            db.dispose()
            summary = http.get(f"{sandbox}/_sandbox/summary").json()
            shipped = summary["klaviyo"]["events_by_metric"].get("Order Shipped", 0)
            costs = probe_shopify_costs(sandbox, env.sandbox_config.shopify_access_token,
                                        placed[0]["admin_graphql_api_id"])
            ours = http.get(f"{shipflow}/api/summary").json()
    finally:
        for proc in reversed(procs):
            stop(proc)

    stages = timeline(work / "shipflow.db", t0)
    # shipflow writes the timeline entry right after Klaviyo accepted the job (to the
    # microsecond); the poll only sees it up to POLL later.
    told_at = stages.get("klaviyo_order_shipped") or stages.get("shipped", [])
    actual_real = told_at[-1] if len(told_at) >= n else detected_s
    actual_sim = actual_real * scale

    requests = summary["requests"]
    calls, fields = calls_by_provider(requests)
    ss = summary["shipstation"]
    notifies = ss["ship_notify_sent"] + ss["ship_notify_failed"] + ss["ship_notify_pending"]
    createorders_needed = math.ceil(n / SHIPSTATION_BULK)
    # Orders reach ShipStation 100 at a time in the ideal plan, so the warehouse prints them in
    # full batches: one SHIP_NOTIFY, and one GET (a batch <= SHIPSTATION_PAGE), per batch.
    batch = env.sandbox_config.ship_batch_size
    fetches_needed = math.ceil(n / batch) * math.ceil(batch / SHIPSTATION_PAGE)
    ss_calls_needed = createorders_needed + fetches_needed
    ss_rate = SHIPSTATION_LIMIT / SHIPSTATION_WINDOW
    t_ss = window_time(ss_calls_needed, SHIPSTATION_LIMIT, ss_rate)

    points_per_order = costs["read_actual"] + costs["create_actual"]
    restore = costs["restore_per_real_s"] / scale  # per simulated second
    t_shopify = AUTO_SHIP_AFTER + window_time(n * points_per_order, costs["bucket"], restore)

    jobs_needed = math.ceil(n / KLAVIYO_BULK_EVENTS)
    burst, steady = KLAVIYO_BULK_TIER
    t_klaviyo = AUTO_SHIP_AFTER + max(window_time(jobs_needed, burst, burst),
                                      window_time(jobs_needed, steady, steady / 60))
    burst_e, steady_e = KLAVIYO_EVENT_TIER
    t_klaviyo_single = AUTO_SHIP_AFTER + max(window_time(n, burst_e, burst_e),
                                             window_time(n, steady_e, steady_e / 60))
    terms = {"shipstation": t_ss, "shopify": t_shopify, "klaviyo": t_klaviyo}
    bound_sim = max(terms.values())
    bottleneck = max(terms, key=lambda k: terms[k])
    sequential_sim = t_ss + (t_shopify - AUTO_SHIP_AFTER) + (t_klaviyo - AUTO_SHIP_AFTER) \
        + AUTO_SHIP_AFTER

    # What each provider's allowance would have let through over the actual drain.
    shopify_points = (fields.get("query order", 0) * costs["read_actual"]
                      + fields.get("mutation fulfillmentCreate", 0) * costs["create_actual"])
    klaviyo_jobs = requests.get("klaviyo POST /api/event-bulk-create-jobs", 0)
    utilisation = {
        "shipstation": calls.get("shipstation", 0)
        / (SHIPSTATION_LIMIT + ss_rate * actual_sim),
        "shopify": shopify_points / (costs["bucket"] + restore * actual_sim),
        "klaviyo_bulk": klaviyo_jobs / (steady + steady / 60 * actual_sim),
    }
    limited: Counter[str] = Counter()
    log_text = (work / "serve.log").read_text(errors="replace")
    for match in _RATE_LIMITED.finditer(log_text):
        limited[match.group(1)] += 1
    shipflow_waits = {
        "shipstation_budget_pauses": log_text.count("shipstation-v1 budget spent"),
        "shopify_bucket_waits": log_text.count("shopify cost bucket low"),
        "klaviyo_window_waits": log_text.count("rate budget spent; waiting"),
        "durable_retries": log_text.count("failed transiently"),
    }
    stage_kinds = ("received", "in_shipstation", "label_printed", "fulfilled",
                   "klaviyo_order_shipped", "shipped")
    stage_done = {k: round(stages[k][-1], 2) for k in stage_kinds if stages.get(k)}
    stage_first = {k: round(stages[k][0], 2) for k in stage_kinds if stages.get(k)}

    if args.trace is not None:
        per_second = {k: Counter(int(t) for t in stages.get(k, [])) for k in stage_kinds}
        horizon = int(actual_real) + 1
        args.trace.write_text(json.dumps({
            "time_scale": scale, "plan": args.plan, "orders": n,
            "stages_per_real_second": {k: [per_second[k].get(s, 0) for s in range(horizon)]
                                       for k in stage_kinds},
            "samples": samples,
        }))

    r = lambda x, d=3: round(x, d)  # noqa: E731
    emit({
        "benchmark": "drain",
        "plan": args.plan,
        "orders": n,
        "time_scale": scale,
        "shipped": shipped,
        "fulfilled_with_tracking": summary["shopify"]["fulfillments_with_tracking"],
        "orders_lost": n - shipped,
        "shipflow_orders_by_state": ours["orders_by_state"],
        "actual_sim_s": r(actual_sim, 1),
        "actual_real_s": r(actual_real, 2),
        "orders_placed_real_s": r(placed_s, 2),
        "bound_sim_s": r(bound_sim, 1),
        "bound_real_s": r(bound_sim / scale, 2),
        "bound_bottleneck": bottleneck,
        "bound_sequential_sim_s": r(sequential_sim, 1),
        "efficiency": r(bound_sim / actual_sim),
        "efficiency_vs_sequential": r(sequential_sim / actual_sim),
        "bound_terms": {
            "shipstation_sim_s": r(t_ss, 1),
            "shipstation_calls": ss_calls_needed,
            "shipstation_createorders": createorders_needed,
            "shipstation_label_fetches": fetches_needed,
            "warehouse_batch": batch,
            "shipstation_limit": f"{SHIPSTATION_LIMIT}/{SHIPSTATION_WINDOW:g}s",
            "shopify_sim_s": r(t_shopify, 1),
            "shopify_points_per_order": points_per_order,
            "shopify_read_cost": [costs["read_requested"], costs["read_actual"]],
            "shopify_create_cost": [costs["create_requested"], costs["create_actual"]],
            "shopify_bucket": costs["bucket"],
            "shopify_restore_per_s": r(restore, 1),
            "klaviyo_sim_s": r(t_klaviyo, 1),
            "klaviyo_bulk_jobs": jobs_needed,
            "klaviyo_single_events_sim_s": r(t_klaviyo_single, 1),
            "warehouse_delay_sim_s": AUTO_SHIP_AFTER,
        },
        "calls_per_order": {p: r(c / n, 4) for p, c in sorted(calls.items())},
        "calls": {"shipstation": calls.get("shipstation", 0),
                  "shipstation_createorders": requests.get(
                      "shipstation POST /orders/createorders", 0),
                  "shipstation_shipments_get": requests.get("shipstation GET /shipments", 0),
                  "shopify": calls.get("shopify", 0), "shopify_fields": fields,
                  "klaviyo": calls.get("klaviyo", 0), "klaviyo_bulk_jobs": klaviyo_jobs},
        "ship_notify": notifies,
        "rate_limited": {p: limited.get(p, 0) for p in ("shipstation", "shopify", "klaviyo")},
        "klaviyo_429_sandbox": summary["klaviyo"].get("throttled", 0),
        "utilisation": {k: r(v) for k, v in utilisation.items()},
        "shipflow_waits": shipflow_waits,
        "cpu_s": {"sandbox": r(cpu[0], 1), "shipflow": r(cpu[1], 1)},
        "stage_first_real_s": stage_first,
        "stage_done_real_s": stage_done,
    })


if __name__ == "__main__":
    main()
