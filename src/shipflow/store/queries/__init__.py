"""Typed read models for the API and the dashboard: what a person looks at, read in one go."""

from shipflow.store.queries.orders import (
    OrderView,
    OutboundCall,
    ShipmentView,
    TimelineEntry,
    order_view,
)
from shipflow.store.queries.summary import Summary, summary

__all__ = ["OrderView", "OutboundCall", "ShipmentView", "Summary", "TimelineEntry",
           "order_view", "summary"]
