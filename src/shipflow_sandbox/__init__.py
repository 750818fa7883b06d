"""Local, high-fidelity simulators of Shopify, ShipStation (v1 and v2, with a carrier that
scans every label on a simulated clock) and Klaviyo on one HTTP port.

They speak the real wire formats (paths, auth, status codes, headers, bodies, signed webhooks)
so the real orchestrator can run against them; controls under `/_sandbox/` drive and inspect
the run and inject faults (`faults.py`).
"""

from shipflow_sandbox.app import create_app
from shipflow_sandbox.config import SandboxConfig
from shipflow_sandbox.server import RunningSandbox, ThreadedServer, running_sandbox, serve

__all__ = [
    "RunningSandbox",
    "SandboxConfig",
    "ThreadedServer",
    "create_app",
    "running_sandbox",
    "serve",
]
