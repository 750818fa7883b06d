"""`/api/reconcile/runs`: the stored reconciliation reports, newest first, paged by id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from shipflow.store import Store


def add_routes(api: APIRouter, store: Store) -> None:
    @api.get("/api/reconcile/runs",
             summary="Reconciliation runs, newest first: found and fixed per check")
    async def list_reconcile_runs(
            limit: int = Query(20, ge=1, le=200),
            before: int | None = Query(None, description="Runs older than this id (the "
                                                         "previous page's `next_before`)"),
    ) -> dict[str, Any]:
        runs = await run_in_threadpool(store.reconcile_runs.latest, limit + 1, before)
        page = runs[:limit]
        return {"runs": [r.to_json(with_items=False) for r in page],
                "next_before": page[-1].id if len(runs) > limit else None}

    @api.get("/api/reconcile/runs/{run_id}",
             summary="One reconciliation run with every item it found")
    async def get_reconcile_run(run_id: int) -> dict[str, Any]:
        run = await run_in_threadpool(store.reconcile_runs.get, run_id)
        if run is None:
            raise HTTPException(404, f"no reconciliation run {run_id}")
        return run.to_json()
