"""Offline use cases over domain, store, config and the provider clients, run by the CLI:
`connect` (credentials and webhook subscriptions), `doctor` (health, read-only)."""
