"""What people look at: orders, shipments, the timeline, the webhook inbox and the outbound ledger.

The engine keeps its own durable state (DBOS); these tables are shipflow's record of the
business, migrated by Alembic on SQLite and PostgreSQL alike.
"""

from shipflow.store.db import Database
from shipflow.store.migrate import upgrade
from shipflow.store.store import Store

__all__ = ["Database", "Store", "upgrade"]
