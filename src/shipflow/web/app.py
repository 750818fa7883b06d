"""The HTTP surface: webhook routes, the REST API and the health check (FastAPI)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
from datetime import datetime
from typing import Annotated, Any, AsyncIterator, Callable

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError

from shipflow import __version__, logs
from shipflow.config import MAX_WEBHOOK_BYTES, MIN_API_TOKEN_LENGTH, Settings
from shipflow.domain.order import OrderState
from shipflow.providers.errors import ProviderError
from shipflow.providers.shipstation_v2 import webhooks as v2_webhooks
from shipflow.providers.shipstation_v2.webhooks import JwksCache, jwks_fetcher
from shipflow.store import Database, Store
from shipflow.store.intake_writer import IntakeWriter
from shipflow.store.orders import StoredOrder
from shipflow.store.queries import OrderView, Summary, order_view, summary
from shipflow.web import intake, reconcile_routes


class BodyTooLarge(Exception):
    pass


# A webhook body (at most MAX_WEBHOOK_BYTES) arrives in well under a second; a sender that
# trickles it for longer is holding a connection open, not delivering (uvicorn has no body
# timeout of its own).
BODY_READ_TIMEOUT = 30.0


@dataclasses.dataclass(frozen=True)
class IntakeSummary(Summary):
    """`Summary` plus the webhook rejections intake counted but did not store, by provider
    (unauthenticated ones over SHIPFLOW_UNAUTHENTICATED_REJECTIONS_MAX)."""

    rejected_not_stored: int = 0
    rejected_not_stored_by_provider: dict[str, int] = dataclasses.field(default_factory=dict)


# (db, now, since) -> the shadow report's JSON (`ops/shadow_sources.py:reporter`).
ShadowReporter = Callable[[Database, datetime, str], dict[str, Any]]

# Declared in the OpenAPI document for the /api routes; checked by `authorize` in create_app.
BEARER = HTTPBearer(auto_error=False, scheme_name="SHIPFLOW_API_TOKEN",
                    description="`Authorization: Bearer <SHIPFLOW_API_TOKEN>`")
RETRY_LATER = {"error": "the delivery could not be stored right now; deliver it again"}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body of {declared} bytes is over the {limit}-byte limit")

    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_READ_TIMEOUT):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(f"body is over the {limit}-byte limit")
                chunks.append(chunk)
        return b"".join(chunks)
    except TimeoutError:
        raise HTTPException(408, f"the body was not received within {BODY_READ_TIMEOUT:g}s") \
            from None


def create_app(settings: Settings, store: Store, starter: intake.Starter, *,
               shadow_report: ShadowReporter | None = None) -> FastAPI:
    """The app. `/api` (and `/docs`, `/redoc`) need `Authorization: Bearer
    <SHIPFLOW_API_TOKEN>`; without a token they are closed unless SHIPFLOW_API_INSECURE=1.
    `/openapi.json` stays public: it describes the routes and holds no data.
    `shadow_report(db, now, since)`: the shadow report's JSON, handed in by the CLI (it reads
    the providers, which the web layer never reaches itself); without it
    `/api/shadow/report` answers 503."""
    if settings.api_token and len(settings.api_token) < MIN_API_TOKEN_LENGTH:
        raise ValueError(settings.api_access_problem())
    logs.quiet_third_party()  # cel-python logs orders (customers' data) at DEBUG
    writer = IntakeWriter(store)
    keep_at_most = settings.unauthenticated_rejections_max

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            writer.stop()

    app = FastAPI(title="shipflow", version=__version__, lifespan=lifespan,
                  description="Fulfillment orchestrator for Shopify, ShipStation and Klaviyo",
                  docs_url=None, redoc_url=None)

    async def _too_large(request: Request, provider: str, exc: BodyTooLarge) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        verdict = await run_in_threadpool(
            intake.reject, store, provider, {}, b"", 413, str(exc), None, None,
            int(declared) if declared.isdigit() else None, keep_at_most=keep_at_most,
        )
        return JSONResponse(verdict.body, status_code=verdict.status_code)

    async def _webhook(request: Request, provider: str, judge: Callable[..., intake.Verdict],
                       *args: Any) -> JSONResponse:
        try:
            body = await _read_body(request, MAX_WEBHOOK_BYTES)
        except BodyTooLarge as exc:
            return await _too_large(request, provider, exc)
        try:
            verdict = await run_in_threadpool(judge, settings, store, starter, *args,
                                              dict(request.headers), body)
        except SQLAlchemyError:
            intake.log.exception("storing a %s webhook failed", provider)
            return JSONResponse(RETRY_LATER, status_code=503)
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
                judged.reason, judged.topic, judged.shop, authenticated=judged.authenticated,
                keep_at_most=keep_at_most)
            return JSONResponse(verdict.body, status_code=verdict.status_code)
        if judged.privacy is not None:
            return await _privacy_request(judged)
        try:
            new, _ = await asyncio.wrap_future(writer.accept(judged.delivery, judged.order, True))
            if new and judged.refund is not None:
                await run_in_threadpool(intake.apply_refund, store, judged)
        except (RuntimeError, SQLAlchemyError):
            # The database refused or is away: 503 says "again later" (Shopify retries a 5xx,
            # and removes the subscription after 8 failures: never a 500 for a good delivery).
            return JSONResponse(RETRY_LATER, status_code=503)
        verdict = intake.settle_shopify(starter, judged, new)
        return JSONResponse(verdict.body, status_code=verdict.status_code)

    async def _privacy_request(judged: intake.Judged) -> JSONResponse:
        """A compliance webhook: stored with its request, answered at once; the sweeper does
        the work (Shopify gives 30 days, and wants a 200 within 5 seconds)."""
        assert judged.privacy is not None
        try:
            new, request_id = await run_in_threadpool(store.privacy.receive, judged.delivery,
                                                      judged.privacy)
        except SQLAlchemyError:
            intake.log.exception("storing a privacy request failed")
            return JSONResponse(RETRY_LATER, status_code=503)
        if not new:
            return JSONResponse({"status": "duplicate",
                                 "webhook_id": judged.delivery.delivery_id})
        return JSONResponse({"status": "accepted", "webhook_id": judged.delivery.delivery_id,
                             "privacy_request_id": request_id})

    keys = JwksCache(v2_webhooks.jwks_url(settings.shipstation_v2_base_url), jwks_fetcher())

    @app.post("/webhooks/shipstation-v2",
              summary="ShipStation v2 tracking and label webhooks (RSA-SHA256 signed)")
    async def shipstation_v2_webhook(request: Request) -> JSONResponse:
        return await _webhook(request, "shipstation-v2", intake.accept_shipstation_v2, keys)

    @app.post("/webhooks/shipstation/{token}", summary="ShipStation v1 pointer webhooks")
    async def shipstation_webhook(token: str, request: Request) -> JSONResponse:
        return await _webhook(request, "shipstation", intake.accept_ship_notify, token)

    def authorize(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> None:
        """Fail closed: no token configured and no SHIPFLOW_API_INSECURE=1 means no access."""
        if not settings.api_token:
            if settings.api_insecure:
                return
            raise HTTPException(403, "the API is closed: set SHIPFLOW_API_TOKEN (or "
                                     "SHIPFLOW_API_INSECURE=1 to open it without authentication)")
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode(), settings.api_token.encode()):
            raise HTTPException(401, "a valid 'Authorization: Bearer <SHIPFLOW_API_TOKEN>' is required",
                                headers={"WWW-Authenticate": "Bearer"})

    api = APIRouter(dependencies=[Depends(authorize)])

    @api.get("/api/orders/{shopify_order_id}", summary="An order's state, shipments and timeline")
    async def get_order(shopify_order_id: int) -> OrderView:
        view = await run_in_threadpool(order_view, store.db, shopify_order_id)
        if view is None:
            raise HTTPException(404, f"no order {shopify_order_id} has reached shipflow")
        return view

    async def stored_order(shopify_order_id: int) -> tuple[StoredOrder, str | None]:
        """The order and its hold reason, or 404."""
        found = await run_in_threadpool(store.orders.by_shopify_id, shopify_order_id)
        if found is None:
            raise HTTPException(404, f"no order {shopify_order_id} has reached shipflow")
        return found

    @api.post("/api/orders/{shopify_order_id}/release", status_code=202,
              summary="Release a rule's hold (address review) in ShipStation and Shopify")
    async def release_order(shopify_order_id: int) -> dict[str, Any]:
        stored, reason = await stored_order(shopify_order_id)
        if stored.state is not OrderState.ON_HOLD:
            raise HTTPException(409, f"order {shopify_order_id} is {stored.state.value}, not on "
                                "hold; only a rule's hold (e.g. address review) can be released"
                                + ("; a backorder is released by a restock"
                                   if stored.state is OrderState.BACKORDERED else ""))
        workflow_id = await run_in_threadpool(starter.start_release, stored.pk)
        return {"status": "releasing", "hold_reason": reason, "workflow_id": workflow_id}

    @api.post("/api/orders/{shopify_order_id}/retry", status_code=202,
              summary="Send an order that needs attention through again")
    async def retry_order(shopify_order_id: int) -> dict[str, Any]:
        stored, _ = await stored_order(shopify_order_id)
        if stored.state is not OrderState.NEEDS_ATTENTION:
            raise HTTPException(409, f"order {shopify_order_id} is {stored.state.value}; only "
                                "an order that needs attention can be retried")
        state = await run_in_threadpool(starter.retry, stored.pk, "the API")
        if state is not OrderState.PAID:
            raise HTTPException(409, f"order {shopify_order_id} is already in ShipStation: what "
                                "failed came after the push (see its timeline and outbound "
                                "calls); fix it there, shipflow will not push it twice")
        return {"status": "queued", "state": state.value}

    @api.get("/api/summary", summary="Counts of orders by state, shipments and webhooks")
    async def get_summary() -> IntakeSummary:
        def read() -> IntakeSummary:
            counts = summary(store.db)
            not_stored = store.inbox.not_stored()
            return IntakeSummary(**{f.name: getattr(counts, f.name)
                                    for f in dataclasses.fields(counts)},
                                 rejected_not_stored=sum(not_stored.values()),
                                 rejected_not_stored_by_provider=not_stored)

        return await run_in_threadpool(read)

    @api.get("/api/privacy/requests", summary="Shopify's privacy requests and their status")
    async def list_privacy_requests() -> list[dict[str, Any]]:
        found = await run_in_threadpool(store.privacy.all)
        return [r.summary() for r in found]

    @api.get("/api/privacy/requests/{request_id}",
             summary="One privacy request; a data request's export once it is ready")
    async def get_privacy_request(request_id: int) -> dict[str, Any]:
        found = await run_in_threadpool(store.privacy.get, request_id)
        if found is None:
            raise HTTPException(404, f"no privacy request {request_id}")
        return {**found.summary(), "export": found.export}

    @api.get("/api/shadow/report",
             summary="The shadow run: shipflow's recorded decisions against the current process")
    async def get_shadow_report(since: str = "7d") -> dict[str, Any]:
        if shadow_report is None:
            raise HTTPException(503, "the shadow report is served by `shipflow serve`")
        try:
            return await run_in_threadpool(shadow_report, store.db, store.clock(), since)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        except ProviderError as exc:
            raise HTTPException(502, f"reading {exc.provider or 'a provider'} failed: "
                                     f"{type(exc).__name__}") from None

    reconcile_routes.add_routes(api, store)

    @api.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="shipflow API")

    @api.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="shipflow API")

    app.include_router(api)

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
