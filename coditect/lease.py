"""Offline verification of a seat lease token, stdlib only.

The same rules as server/schemas/lease.py (which uses PyJWT): a lease is an EdDSA JWT with
header typ "lease" and claims seat_id, license_key, tier, tid, sub, hardware_id, iat, exp.
It is accepted when its `kid` is one of the pinned keys, the signature verifies, it was
issued to this machine's hardware id, it was not issued in the future beyond `max_skew_s`
(a clock turned back to stretch the grace), and it has not expired. Ed25519 goes through
`cryptography` when it is importable, else through coditect/ed25519.py.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from coditect import ed25519

__all__ = ["LEASE_TYP", "LeaseCheck", "verify_lease", "verify_ed25519", "b64url_decode"]

LEASE_TYP = "lease"
_REQUIRED = ("seat_id", "license_key", "tier", "tid", "sub", "hardware_id", "iat", "exp")


@dataclass(frozen=True)
class LeaseCheck:
    valid: bool
    # ok | malformed | unknown_kid | bad_signature | other_hardware | expired | issued_in_future
    reason: str
    claims: dict = field(default_factory=dict)
    expires_at: datetime | None = None


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return ed25519.verify(public_key, message, signature)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def _key_for(jwks: dict, kid) -> bytes | None:
    for jwk in (jwks or {}).get("keys", []) if isinstance(jwks, dict) else []:
        if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            try:
                raw = b64url_decode(jwk.get("x"))
            except (ValueError, binascii.Error):
                return None
            return raw if len(raw) == 32 else None
    return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def verify_lease(token: str, jwks: dict, *, hardware_id: str, now: datetime, max_skew_s: int = 300) -> LeaseCheck:
    try:
        head_b64, body_b64, sig_b64 = token.split(".")
        header = json.loads(b64url_decode(head_b64))
        body = b64url_decode(body_b64)
        signature = b64url_decode(sig_b64)
    except (AttributeError, ValueError, binascii.Error, UnicodeDecodeError):
        return LeaseCheck(False, "malformed")
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or header.get("typ") != LEASE_TYP:
        return LeaseCheck(False, "malformed")
    key = _key_for(jwks, header.get("kid"))
    if key is None:
        return LeaseCheck(False, "unknown_kid")
    if not verify_ed25519(key, f"{head_b64}.{body_b64}".encode("ascii"), signature):
        return LeaseCheck(False, "bad_signature")
    try:  # the claims are read only once the signature holds
        claims = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return LeaseCheck(False, "malformed")
    if not isinstance(claims, dict) or any(k not in claims for k in _REQUIRED):
        return LeaseCheck(False, "malformed")
    if not (_is_int(claims["iat"]) and _is_int(claims["exp"])):
        return LeaseCheck(False, "malformed")
    expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)
    if claims["hardware_id"] != hardware_id:
        return LeaseCheck(False, "other_hardware", claims, expires_at)
    if claims["iat"] > now.timestamp() + max_skew_s:
        return LeaseCheck(False, "issued_in_future", claims, expires_at)
    if claims["exp"] <= now.timestamp():
        return LeaseCheck(False, "expired", claims, expires_at)
    return LeaseCheck(True, "ok", claims, expires_at)
