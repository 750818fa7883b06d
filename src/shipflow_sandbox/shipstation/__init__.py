"""Simulated ShipStation API v1: orders, shipments, carriers, webhooks and a warehouse."""
