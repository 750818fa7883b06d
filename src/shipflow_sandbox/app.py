"""The sandbox ASGI app: Shopify under `/shopify`, ShipStation v1 under `/shipstation` (v2
under `/shipstation/v2`, JWKS at `/shipstation/v2/jwks` and `/shipstation/jwks`), Klaviyo under
`/klaviyo`, controls under `/_sandbox`. Background work starts and stops with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Mount

from shipflow_sandbox import controls
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.klaviyo import api as klaviyo_api
from shipflow_sandbox.klaviyo.spec import load_spec
from shipflow_sandbox.shipstation import api as shipstation_api
from shipflow_sandbox.shipstation_v2 import api as shipstation_v2_api
from shipflow_sandbox.shopify import api as shopify_api
from shipflow_sandbox.state import SandboxState


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox app; its `SandboxState` is at `app.state.sandbox`."""
    state = SandboxState(config or SandboxConfig())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        load_spec()
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    app = Starlette(
        routes=[
            Mount("/shopify", routes=shopify_api.routes(state)),
            Mount(
                "/shipstation",
                routes=shipstation_api.routes(state) + shipstation_v2_api.routes(state),
            ),
            Mount("/klaviyo", routes=klaviyo_api.routes(state)),
            Mount("/_sandbox", routes=controls.routes(state)),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = state
    return app
