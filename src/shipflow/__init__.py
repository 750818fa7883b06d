"""shipflow: a self-hosted fulfillment orchestrator for Shopify, ShipStation and Klaviyo."""

__version__ = "0.1.0"
