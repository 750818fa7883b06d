"""One package per external system; each maps its wire format to and from `shipflow.domain`.

Per provider: `client.py` (the only I/O, one thin synchronous class over `httpx.Client`),
`wire.py`/`mapping.py`/`graphql.py` (pure request builders and response parsers) and
`webhooks.py` (verify and parse inbound deliveries). Shared: `errors.py` (the exception
hierarchy), `http.py` (timeouts, retries, rate limits, logging) and `fields.py` (typed reads
with field paths). No provider package imports another.
"""
