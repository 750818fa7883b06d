"""Offline use cases over the domain, the rules, the store and the providers' clients, run by
the CLI: `connect` (credentials and webhook subscriptions), `doctor` (health, read-only),
`replay` (a rules file against stored orders) and `audit` (the manual baseline read from the
providers). Only `connect` writes, and only webhook subscriptions; the rest write nothing."""
