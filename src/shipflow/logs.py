"""Logging set-up for the command line: one line per event, no payloads, no secrets."""

from __future__ import annotations

import logging

# Libraries that log what they handle, whatever shipflow's level is:
# - cel-python ("celpy") logs every rule evaluation at DEBUG with its activation, i.e. the
#   order: customers' names, emails and addresses;
# - httpx/httpcore log every request URL (ShipStation webhook URLs and queries carry secrets);
# - the others describe SQL, workflows or the event loop in detail nobody needs at DEBUG.
QUIET_LOGGERS = ("celpy", "lark", "httpx", "httpcore", "sqlalchemy", "alembic", "asyncio",
                 "multipart", "python_multipart", "urllib3", "hpack", "watchfiles")


def quiet_third_party() -> None:
    """Third-party loggers at WARNING, whatever the app's level (shipflow's own DEBUG lines
    carry no payloads; theirs do)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    quiet_third_party()
