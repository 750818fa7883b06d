"""The HTTP surface: webhook routes, the REST API and the health check (FastAPI)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from typing import Any, AsyncIterator, Callable

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from shipflow import __version__
from shipflow.config import MAX_WEBHOOK_BYTES, Settings
from shipflow.domain.order import OrderState
from shipflow.providers.shipstation_v2 import webhooks as v2_webhooks
from shipflow.providers.shipstation_v2.webhooks import JwksCache, jwks_fetcher
from shipflow.store import Store
from shipflow.store.intake_writer import IntakeWriter
from shipflow.store.queries import OrderView, Summary, order_view, summary
from shipflow.web import intake


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body of {declared} bytes is over the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings, store: Store, starter: intake.Starter) -> FastAPI:
    writer = IntakeWriter(store)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            writer.stop()

    app = FastAPI(title="shipflow", version=__version__, lifespan=lifespan,
                  description="Fulfillment orchestrator for Shopify, ShipStation and Klaviyo")

    async def _too_large(request: Request, provider: str, exc: BodyTooLarge) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        verdict = await run_in_threadpool(
            intake.reject, store, provider, {}, b"", 413, str(exc), None, None,
            int(declared) if declared.isdigit() else None,
        )
        return JSONResponse(verdict.body, status_code=verdict.status_code)

    async def _webhook(request: Request, provider: str, judge: Callable[..., intake.Verdict],
                       *args: Any) -> JSONResponse:
        try:
            body = await _read_body(request, MAX_WEBHOOK_BYTES)
        except BodyTooLarge as exc:
            return await _too_large(request, provider, exc)
        verdict = await run_in_threadpool(judge, settings, store, starter, *args,
                                          dict(request.headers), body)
        return JSONResponse(verdict.body, status_code=verdict.status_code)

    @app.post("/webhooks/shopify", summary="Shopify webhook deliveries (HMAC-verified)")
    async def shopify_webhook(request: Request) -> JSONResponse:
        try:
            body = await _read_body(request, MAX_WEBHOOK_BYTES)
        except BodyTooLarge as exc:
            return await _too_large(request, "shopify", exc)
        judged = intake.judge_shopify(settings, request.headers, body)
        if isinstance(judged, intake.Rejection):
            verdict = await run_in_threadpool(
                intake.reject, store, "shopify", judged.headers, body, judged.status_code,
                judged.reason, judged.topic, judged.shop)
        else:
            new, _ = await asyncio.wrap_future(writer.accept(judged.delivery, judged.order, True))
            if new and judged.refund is not None:
                await run_in_threadpool(intake.apply_refund, store, judged)
            verdict = intake.settle_shopify(starter, judged, new)
        return JSONResponse(verdict.body, status_code=verdict.status_code)

    keys = JwksCache(v2_webhooks.jwks_url(settings.shipstation_v2_base_url), jwks_fetcher())

    @app.post("/webhooks/shipstation-v2",
              summary="ShipStation v2 tracking and label webhooks (RSA-SHA256 signed)")
    async def shipstation_v2_webhook(request: Request) -> JSONResponse:
        return await _webhook(request, "shipstation-v2", intake.accept_shipstation_v2, keys)

    @app.post("/webhooks/shipstation/{token}", summary="ShipStation v1 pointer webhooks")
    async def shipstation_webhook(token: str, request: Request) -> JSONResponse:
        return await _webhook(request, "shipstation", intake.accept_ship_notify, token)

    def _authorize(request: Request) -> None:
        if not settings.api_token:
            return
        given = request.headers.get("authorization", "")
        expected = f"Bearer {settings.api_token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "a valid 'Authorization: Bearer <SHIPFLOW_API_TOKEN>' is required",
                                headers={"WWW-Authenticate": "Bearer"})

    @app.get("/api/orders/{shopify_order_id}", summary="An order's state, shipments and timeline")
    async def get_order(shopify_order_id: int, request: Request) -> OrderView:
        _authorize(request)
        view = await run_in_threadpool(order_view, store.db, shopify_order_id)
        if view is None:
            raise HTTPException(404, f"no order {shopify_order_id} has reached shipflow")
        return view

    @app.post("/api/orders/{shopify_order_id}/release", status_code=202,
              summary="Release a rule's hold (address review) in ShipStation and Shopify")
    async def release_order(shopify_order_id: int, request: Request) -> dict[str, Any]:
        _authorize(request)
        found = await run_in_threadpool(store.orders.by_shopify_id, shopify_order_id)
        if found is None:
            raise HTTPException(404, f"no order {shopify_order_id} has reached shipflow")
        stored, reason = found
        if stored.state is not OrderState.ON_HOLD:
            raise HTTPException(409, f"order {shopify_order_id} is {stored.state.value}, not on "
                                "hold; only a rule's hold (e.g. address review) can be released"
                                + ("; a backorder is released by a restock"
                                   if stored.state is OrderState.BACKORDERED else ""))
        workflow_id = await run_in_threadpool(starter.start_release, stored.pk)
        return {"status": "releasing", "hold_reason": reason, "workflow_id": workflow_id}

    @app.get("/api/summary", summary="Counts of orders by state, shipments and webhooks")
    async def get_summary(request: Request) -> Summary:
        _authorize(request)
        return await run_in_threadpool(summary, store.db)

    @app.get("/healthz", summary="Liveness and database reachability")
    async def healthz() -> JSONResponse:
        def ping() -> None:
            with store.db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except Exception as exc:  # the health check reports, it does not crash
            return JSONResponse({"status": "error", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "database": store.db.dialect, "version": __version__})

    return app
