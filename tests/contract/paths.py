"""Where the shared specs and fixtures live (`SHIPFLOW_SHARED_DIR`, else ../shared)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SHIPFLOW_SHARED_DIR", ROOT.parent / "shared"))
FIXTURES = SHARED / "fixtures"
SPECS = SHARED / "specs"
