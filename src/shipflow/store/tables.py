"""SQLAlchemy Core tables. Alembic migrations in `migrations/versions` create exactly these."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("shop_domain", sa.String(255), nullable=False),
    sa.Column("shopify_order_id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("financial_status", sa.String(32), nullable=False),
    sa.Column("total_price", sa.Numeric(14, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=False),  # the normalized domain Order
    sa.Column("batch_id", sa.String(64)),  # the push workflow that claimed it (state queued)
    sa.Column("hold_reason", sa.String(32)),  # domain.routing.HoldReason while on hold
    sa.Column("hold_note", sa.String(512)),
    # A push that failed for a transient cause is tried again at `retry_at` (`retries` so far).
    sa.Column("retry_at", sa.DateTime(timezone=True)),
    sa.Column("retries", sa.Integer, nullable=False, server_default="0"),
    # When the customer's personal data was removed (customers/redact, or retention).
    sa.Column("personal_data_removed_at", sa.DateTime(timezone=True)),
    # 'manual': first seen in shadow mode, the merchant's old process handles it and shipflow
    # never writes for it, even once live; 'shipflow' (or NULL, stored before) otherwise.
    sa.Column("handled_by", sa.String(16)),
    sa.Column("shopify_updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("shop_domain", "shopify_order_id", name="uq_orders_shop_order"),
)
sa.Index("ix_orders_state", orders.c.state, orders.c.id)

line_items = sa.Table(
    "line_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    sa.Column("shopify_line_item_id", sa.BigInteger, nullable=False),
    sa.Column("sku", sa.String(255)),
    sa.Column("title", sa.String(512), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Numeric(14, 2), nullable=False),
    sa.Column("grams", sa.Integer, nullable=False),
    sa.UniqueConstraint("order_id", "shopify_line_item_id", name="uq_line_items_order_line"),
)

shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    sa.Column("shipment_id", sa.String(64), nullable=False, unique=True),
    sa.Column("tracking_number", sa.String(128), nullable=False),
    sa.Column("carrier_code", sa.String(64), nullable=False),
    sa.Column("carrier_name", sa.String(64), nullable=False),
    sa.Column("service_code", sa.String(128)),
    sa.Column("tracking_url", sa.String(1024), nullable=False),
    sa.Column("ship_date", sa.Date),
    sa.Column("shopify_fulfillment_id", sa.String(128)),
    sa.Column("state", sa.String(32), nullable=False),
    # Carrier tracking: the furthest milestone reached (it never moves backwards), its rank in
    # TrackingMilestone, the last scan seen and what the carrier promises.
    sa.Column("milestone", sa.String(32)),
    sa.Column("milestone_rank", sa.Integer, nullable=False, server_default="-1"),
    sa.Column("last_scan_at", sa.DateTime(timezone=True)),
    sa.Column("estimated_delivery", sa.DateTime(timezone=True)),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("exception", sa.String(32)),
    sa.Column("exception_at", sa.DateTime(timezone=True)),
    sa.Column("order_key", sa.String(64)),  # the ShipStation order (part) the label is for
    sa.Column("items", sa.JSON),  # [{sku, name, quantity}] the label ships
    sa.Column("voided_at", sa.DateTime(timezone=True)),  # relabelled: this label is void
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per ShipStation order shipflow made for a Shopify order: one, or several when a
# backorder split the order (part 2 waits for stock). `items` lists the Shopify line items and
# quantities the part ships; `backordered` maps SKU -> units still waiting for stock.
shipstation_orders = sa.Table(
    "shipstation_orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    sa.Column("order_key", sa.String(64), nullable=False, unique=True),
    sa.Column("part", sa.Integer, nullable=False),
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("status", sa.String(24), nullable=False),  # awaiting_shipment | on_hold | shipped | cancelled
    sa.Column("hold_reason", sa.String(32)),
    sa.Column("backordered", sa.JSON),
    sa.Column("shipstation_order_id", sa.BigInteger),
    # What the rules asked of the label (api label mode buys it with these).
    sa.Column("confirmation", sa.String(32)),
    sa.Column("carrier_code", sa.String(64)),
    sa.Column("service_code", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_shipstation_orders_order", shipstation_orders.c.order_id)

# Customer messages due later (review request, reorder reminder). They live in the database, so
# they survive restarts; a sweeper claims the due ones; cancelling an order cancels its timers.
timers = sa.Table(
    "timers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("timer_key", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    sa.Column("shipment_id", sa.String(64)),
    sa.Column("sku", sa.String(255)),
    sa.Column("days", sa.Float, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending | firing | sent | cancelled
    sa.Column("batch_id", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_timers_due", timers.c.state, timers.c.due_at)

timeline = sa.Table(
    "timeline",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("message", sa.String(1024), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    # A step retried after a crash writes the same entry again; the key keeps it once.
    sa.Column("dedupe_key", sa.String(255), nullable=False, unique=True),
)
sa.Index("ix_timeline_order", timeline.c.order_id, timeline.c.at)
sa.Index("ix_shipments_tracking", shipments.c.tracking_number)

webhook_inbox = sa.Table(
    "webhook_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(32), nullable=False),
    # The provider's delivery id (X-Shopify-Webhook-Id); rejected deliveries get a generated one.
    sa.Column("delivery_id", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(128)),
    sa.Column("shop_domain", sa.String(255)),
    sa.Column("status", sa.String(16), nullable=False),  # accepted | rejected
    sa.Column("reason", sa.String(1024)),
    sa.Column("http_status", sa.Integer, nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),  # only the provider's non-secret headers
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("body_size", sa.Integer, nullable=False),
    sa.Column("workflow_id", sa.String(255)),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("dispatched_at", sa.DateTime(timezone=True)),
    # SHA-256 of the body as received (hex); an unauthenticated rejection keeps only this.
    sa.Column("body_sha256", sa.String(64)),
    # Further duplicate keys of an accepted delivery: Shopify's event id with the topic, and a
    # hash of topic + body (a replayed body under a new webhook id is the same delivery).
    sa.Column("event_key", sa.String(255)),
    sa.Column("content_key", sa.String(64)),
    # False: refused before the sender was authenticated (signature, token); no body is kept.
    sa.Column("authenticated", sa.Boolean, nullable=False, server_default=sa.true()),
    # When personal data left the body (retention drops it; a redaction scrubs it).
    sa.Column("personal_data_removed_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("provider", "delivery_id", name="uq_inbox_provider_delivery"),
)
sa.Index("ix_inbox_retention", webhook_inbox.c.personal_data_removed_at,
         webhook_inbox.c.received_at)
sa.Index("ix_inbox_undispatched", webhook_inbox.c.status, webhook_inbox.c.dispatched_at)
sa.Index("uq_inbox_event_key", webhook_inbox.c.provider, webhook_inbox.c.event_key, unique=True)
sa.Index("uq_inbox_content_key", webhook_inbox.c.provider, webhook_inbox.c.content_key,
         unique=True)
sa.Index("ix_inbox_authenticated", webhook_inbox.c.authenticated, webhook_inbox.c.id)

# What intake counted but did not store (e.g. unauthenticated rejections over the cap), by
# reason; `GET /api/summary` shows it as `rejected_not_stored`.
intake_counters = sa.Table(
    "intake_counters",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

outbound_ledger = sa.Table(
    "outbound_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id", ondelete="SET NULL")),
    # sending | done | failed, or recorded (record-only mode: written here, never sent)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("effect", sa.String(40)),  # domain.effects.EffectKind
    sa.Column("payload", sa.JSON),  # what the write says (Effect.describe())
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.String(1024)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("personal_data_removed_at", sa.DateTime(timezone=True)),
)

# A provider rate limit shared by every process of a deployment (store/rate_budget.py).
rate_budgets = sa.Table(
    "rate_budgets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("blocked_until", sa.Float, nullable=False),  # epoch seconds; the provider said stop
)

rate_log = sa.Table(
    "rate_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # epoch seconds a request was let through
)
sa.Index("ix_rate_log_name_at", rate_log.c.name, rate_log.c.at)

# A carrier update for a tracking number no label of ours has yet (the label's SHIP_NOTIFY is
# late): kept, and applied when the label lands.
early_tracking = sa.Table(
    "early_tracking",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("update_key", sa.String(255), nullable=False, unique=True),
    sa.Column("tracking_number", sa.String(128), nullable=False),
    sa.Column("update", sa.JSON, nullable=False),  # the TrackingUpdate (store/codec.py)
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True)),
)
sa.Index("ix_early_tracking_number", early_tracking.c.tracking_number)

# The engine's executors (worker processes) and when each was last alive: a live worker adopts
# the workflows of one whose heartbeat expired, once (`adopted_at` after its last heartbeat).
executors = sa.Table(
    "executors",
    metadata,
    sa.Column("executor_id", sa.String(128), primary_key=True),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("adopted_by", sa.String(128)),
    sa.Column("adopted_at", sa.DateTime(timezone=True)),
)

# Shopify's compliance requests (customers/data_request, customers/redact, shop/redact) and
# what shipflow did about them. The customer's email and phone are kept only until the request
# is done; a data request's export waits in `export` for the merchant (GET /api/privacy/...).
privacy_requests = sa.Table(
    "privacy_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("topic", sa.String(32), nullable=False),
    sa.Column("shop_domain", sa.String(255), nullable=False),
    sa.Column("shop_id", sa.BigInteger),
    sa.Column("webhook_id", sa.String(255), nullable=False, unique=True),
    sa.Column("shopify_customer_id", sa.BigInteger),
    sa.Column("data_request_id", sa.BigInteger),
    sa.Column("order_ids", sa.JSON, nullable=False),  # orders_requested / orders_to_redact
    sa.Column("email", sa.String(320)),
    sa.Column("phone", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),  # pending | waiting | done
    sa.Column("outcome", sa.JSON),  # what was found and changed, per table (no personal data)
    sa.Column("export", sa.JSON),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
)
sa.Index("ix_privacy_requests_status", privacy_requests.c.status, privacy_requests.c.id)

# One row per reconciliation sweep: what each check found and repaired. `items` names orders by
# their Shopify id and number only (no customer data).
reconcile_runs = sa.Table(
    "reconcile_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trigger", sa.String(16), nullable=False),  # cli | sweep | first_start
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | failed
    sa.Column("counts", sa.JSON, nullable=False),  # {check: {"found": n, "fixed": n}}
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("error", sa.String(500)),
)
sa.Index("ix_reconcile_runs_started", reconcile_runs.c.started_at)

# The lease a process holds while it runs a sweep: one row, taken by a conditional update.
reconcile_lease = sa.Table(
    "reconcile_lease",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("holder", sa.String(64)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),
)
