"""The HTTP surface: webhook routes, the REST API and the health check."""
