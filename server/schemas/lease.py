"""Offline verification of a seat lease token, for the console (no request, no server).

A lease is an EdDSA JWT with header typ "lease" and claims seat_id, license_key, tier, tid,
sub, hardware_id, iat, exp. It is accepted when its `kid` is in the cached JWKS, the
signature verifies, it was issued to this machine's hardware id, it was not issued in the
future beyond `max_skew_s` (a clock turned back to stretch the grace), and it has not
expired. Pure: PyJWT and cryptography only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import jwt

__all__ = ["LEASE_TYP", "LeaseCheck", "verify_lease"]
# The keys given here must be ones the client pinned (server/schemas/lease_trust.py), never
# keys read from the lease file itself.

LEASE_TYP = "lease"
_REQUIRED = ("seat_id", "license_key", "tier", "tid", "sub", "hardware_id", "iat", "exp")


@dataclass(frozen=True)
class LeaseCheck:
    valid: bool
    # ok | malformed | unknown_kid | bad_signature | other_hardware | expired | issued_in_future
    reason: str
    claims: dict = field(default_factory=dict)
    expires_at: datetime | None = None


def _key_for(jwks: dict, kid) -> object | None:
    for jwk in (jwks or {}).get("keys", []):
        if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            try:
                return jwt.PyJWK(jwk, algorithm="EdDSA").key
            except jwt.PyJWKError:
                return None
    return None


def verify_lease(
    token: str, jwks: dict, *, hardware_id: str, now: datetime, max_skew_s: int = 300,
) -> LeaseCheck:
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.DecodeError, TypeError):
        return LeaseCheck(False, "malformed")
    if header.get("alg") != "EdDSA" or header.get("typ") != LEASE_TYP:
        return LeaseCheck(False, "malformed")
    key = _key_for(jwks, header.get("kid"))
    if key is None:
        return LeaseCheck(False, "unknown_kid")
    try:
        # Times are checked below against the caller's `now`, not the system clock.
        claims = jwt.decode(token, key, algorithms=["EdDSA"], options={
            "verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False,
            "require": list(_REQUIRED),
        })
    except jwt.InvalidSignatureError:
        return LeaseCheck(False, "bad_signature")
    except jwt.InvalidTokenError:
        return LeaseCheck(False, "malformed")
    if not all(isinstance(claims[k], int) and not isinstance(claims[k], bool) for k in ("iat", "exp")):
        return LeaseCheck(False, "malformed")
    expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)
    if claims["hardware_id"] != hardware_id:
        return LeaseCheck(False, "other_hardware", claims, expires_at)
    if claims["iat"] > now.timestamp() + max_skew_s:
        return LeaseCheck(False, "issued_in_future", claims, expires_at)
    if claims["exp"] <= now.timestamp():
        return LeaseCheck(False, "expired", claims, expires_at)
    return LeaseCheck(True, "ok", claims, expires_at)
