"""Engine throughput: the happy path (intake -> ShipStation -> label -> Shopify fulfillment ->
`Order Shipped`) with the sandbox's rate limits switched off, so only shipflow (and the
sandbox's own CPU, on the same two cores) limits it.

Figures: orders completed per second and shipflow CPU ms per order, on SQLite (one `shipflow
serve`) or PostgreSQL (one web-only process + N workers).

    python bench/engine_throughput.py [--orders 2000] [--postgres --workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from common import emit, fresh_postgres_database, start, stop, wait_http

from shipflow.demo import NO_RULES, make_environment
from shipflow.netutil import free_port
from shipflow_sandbox.shopify.ids import IdAllocator
from shipflow_sandbox.shopify.orders import OrderGenerator
from shipflow_sandbox.shopify.webhooks import encode, sign

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLOCK_TICKS


async def send_paid(url: str, orders: list[dict[str, Any]], secret: str, shop: str) -> None:
    connector = aiohttp.TCPConnector(limit=32)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(order: dict[str, Any]) -> None:
            body = encode(order)
            headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/paid",
                       "X-Shopify-Hmac-Sha256": sign(body, secret), "X-Shopify-Shop-Domain": shop,
                       "X-Shopify-API-Version": "2026-07", "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                       "X-Shopify-Event-Id": str(uuid.uuid4())}
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"webhook answered {response.status}")
        await asyncio.gather(*(one(o) for o in orders))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="shipflow-bench-"))
    port = free_port()
    env = make_environment(work, port, free_port(), rules=NO_RULES)
    database_url, drop = env.settings.database_url, None
    if args.postgres:
        database_url, drop = fresh_postgres_database()

    proc_env = {**env.sandbox_config.orchestrator_env(env.sandbox_url),
                "SHIPFLOW_SHOPIFY_SHOP_DOMAIN": env.sandbox_config.shop_domain,
                "SHIPFLOW_API_INSECURE": "1",  # the benchmark reads /api/summary
                "SHIPFLOW_RULES": str(env.settings.rules),
                "SHIPFLOW_DATABASE_URL": database_url,
                "SHIPFLOW_SHIPSTATION_RATE_LIMIT": "1000000/1",  # the sandbox enforces none
                "SHIPFLOW_SANDBOX_RATE_LIMITS": "0"}
    sandbox_port = int(env.sandbox_url.rsplit(":", 1)[1])
    procs = [start(["sandbox", "--port", str(sandbox_port), "--shipflow-url",
                    f"http://127.0.0.1:{port}", "--shopify-webhook-url", "",
                    "--auto-ship-after", "0.2"], proc_env, work / "sandbox.log")]
    try:
        wait_http(f"{env.sandbox_url}/_sandbox/summary")
        generator = OrderGenerator(11, IdAllocator(11), env.sandbox_config.shop_domain)
        now = datetime.now(timezone.utc)
        orders = [generator.generate(now) for _ in range(args.orders)]
        for chunk in range(0, len(orders), 1000):
            httpx.post(f"{env.sandbox_url}/_sandbox/shopify/orders", timeout=60,
                       json={"orders": orders[chunk:chunk + 1000], "deliver": False}
                       ).raise_for_status()
        if args.postgres:
            shipflow = [start(["serve", "--web-only", "--port", str(port), "--id", "web"],
                              proc_env, work / "web.log")]
            shipflow += [start(["worker", "--id", f"w{i}"], proc_env, work / f"w{i}.log")
                         for i in range(1, args.workers + 1)]
        else:
            shipflow = [start(["serve", "--port", str(port)], proc_env, work / "serve.log")]
        procs += shipflow
        wait_http(f"http://127.0.0.1:{port}/healthz")
        time.sleep(1.0)  # workers up
        cpu_before = sum(cpu_seconds(p.pid) for p in shipflow)
        t0 = time.perf_counter()
        asyncio.run(send_paid(f"http://127.0.0.1:{port}/webhooks/shopify", orders,
                              env.settings.shopify_webhook_secret, env.sandbox_config.shop_domain))
        shipped = 0
        while time.perf_counter() - t0 < args.timeout:
            states = httpx.get(f"http://127.0.0.1:{port}/api/summary", timeout=10).json()
            shipped = states["orders_by_state"].get("shipped", 0)
            if shipped >= args.orders:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - t0
        cpu = sum(cpu_seconds(p.pid) for p in shipflow) - cpu_before
        emit({
            "benchmark": "engine_throughput",
            "database": "postgresql" if args.postgres else "sqlite",
            "workers": args.workers if args.postgres else 1,
            "orders": args.orders,
            "shipped": shipped,
            "elapsed_s": round(elapsed, 2),
            "orders_per_s": round(shipped / elapsed, 1),
            "cpu_ms_per_order": round(cpu * 1000 / max(shipped, 1), 2),
        })
    finally:
        for proc in reversed(procs):
            stop(proc)
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
