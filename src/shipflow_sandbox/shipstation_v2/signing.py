"""RSA signatures on v2 webhooks and the JWKS that publishes the public keys (shipstation.md §2.4).

Each delivery carries `x-shipengine-rsa-sha256-key-id` (the key's `kid`),
`x-shipengine-timestamp` (ISO-8601 UTC, `2024-04-04T15:48:44Z`, real time: receivers compare
it with their own clock) and `x-shipengine-rsa-sha256-signature` = base64(RSASSA-PKCS1-v1_5
SHA-256 over `<timestamp>.<raw body>`). Keys are RSA-2048 with ids like `sandbox-<16 hex>`.
The key is made when the sandbox starts (in a worker thread, so start-up does not wait; the
first signature waits for it if needed). `rotate()` makes a new key; the JWKS lists the
current key first and keeps the previous one, so deliveries signed just before a rotation
still verify.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_ID_HEADER = "x-shipengine-rsa-sha256-key-id"
SIGNATURE_HEADER = "x-shipengine-rsa-sha256-signature"
TIMESTAMP_HEADER = "x-shipengine-timestamp"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(f"sandbox-{secrets.token_hex(8)}", key)

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        }

    def sign(self, message: bytes) -> str:
        signature = self.private.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


class KeyRing:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: SigningKey | None = None
        self._previous: SigningKey | None = None

    def ensure(self) -> SigningKey:
        with self._lock:
            if self._current is None:
                self._current = SigningKey.generate()
            return self._current

    @property
    def current(self) -> SigningKey:
        return self._current or self.ensure()

    def rotate(self) -> SigningKey:
        fresh = SigningKey.generate()
        with self._lock:
            self._previous, self._current = self._current, fresh
        return fresh

    def jwks(self) -> dict[str, Any]:
        keys = [self.current.jwk()]
        if self._previous is not None:
            keys.append(self._previous.jwk())
        return {"keys": keys}

    def headers(self, body: bytes, now: datetime) -> dict[str, str]:
        """The three signature headers for `body`, timestamped `now` (UTC)."""
        key = self.current
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            KEY_ID_HEADER: key.kid,
            SIGNATURE_HEADER: key.sign(stamp.encode() + b"." + body),
            TIMESTAMP_HEADER: stamp,
        }
