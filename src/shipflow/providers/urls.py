"""The SSRF guard for URLs a provider hands us to fetch with our own credentials (ShipStation's
webhook `resource_url`s and v2 pagination links): only the configured API, never elsewhere."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

REAL_BASE_HOST = "ssapi.shipstation.com"
_REAL_HOSTS = re.compile(r"ssapi\d*\.shipstation\.com")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN = ("\\", "\r", "\n", "\t", " ", "\x00")


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


def is_allowed_resource_url(url: str, base_url: str) -> bool:
    """True when `url` is safe to fetch with our ShipStation credentials.

    Same scheme, host and port as `base_url`, and a path under the base path (a sandbox base
    `http://127.0.0.1:8100/shipstation` allows `/shipstation/shipments?...`, not `/admin`).
    For the real service (`https://ssapi.shipstation.com`) the numbered hosts ShipStation puts
    in resource URLs (`ssapi6.`, `ssapi13.`…) are allowed too, over https on 443 only.
    URLs with credentials, dot segments (plain or percent-encoded), backslashes or control
    characters are refused outright.
    """
    if not url or not base_url or any(c in url for c in _FORBIDDEN):
        return False
    try:
        target, base = urlsplit(url.strip()), urlsplit(base_url.strip())
        target_port, base_port = _port(target.scheme, target.port), _port(base.scheme, base.port)
    except ValueError:
        return False
    if target.scheme not in _DEFAULT_PORTS or target.username or target.password:
        return False
    if not target.hostname or not base.hostname:
        return False
    same_origin = (target.scheme, target.hostname, target_port) == (
        base.scheme, base.hostname, base_port
    )
    real_service = (
        base.scheme == "https" and base.hostname == REAL_BASE_HOST and base_port == 443
        and target.scheme == "https" and target_port == 443
        and _REAL_HOSTS.fullmatch(target.hostname) is not None
    )
    if not (same_origin or real_service):
        return False
    segments = unquote(target.path).split("/")
    if any(seg in (".", "..") for seg in segments) or "\\" in unquote(target.path):
        return False
    base_path = base.path.rstrip("/")
    return target.path.startswith(base_path + "/") and len(target.path) > len(base_path) + 1
