"""Small security primitives: opaque tokens, their hashes, constant-time compare."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_opaque_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Opaque, high-entropy tokens are stored as SHA-256; low-entropy codes need argon2/HMAC."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_numeric_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"
