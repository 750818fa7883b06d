"""Migrations run at start-up by every process: several at once must end in one good schema."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from shipflow.store.db import driver_url


def test_concurrent_upgrades_leave_one_schema(database_url: str) -> None:
    code = "import sys; from shipflow.store import upgrade; upgrade(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", code, database_url],
                              stderr=subprocess.PIPE) for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    engine = sa.create_engine(driver_url(database_url))
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert version == "0011"
