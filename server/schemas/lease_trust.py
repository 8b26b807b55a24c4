"""What an offline lease is checked against: the server's keys pinned at first sign-in, and
the highest time ever seen. Pure (PyJWT + cryptography, no I/O), so that every client that
checks leases offline (the console, the installed `coditect` command) can share or mirror it.

A lease (server/schemas/lease.py) proves nothing when the keys it is checked with come
from a file the user can edit: anyone can write a lease with their own key. So:

- **Pinning.** The client keeps a `Trust` record apart from the lease (keyring or a 0600
  file): the JWKS it fetched from the server at its first sign-in, plus the highest time
  it has seen. Keys inside a lease file count for nothing.
- **Rotation.** A new key set replaces the pin only through a *rotation statement*: a JWT
  (header typ "jwks-rotation") whose claim `keys` is the new key set, signed by a key that
  is pinned now (the server keeps retired keys to sign these, served at
  /.well-known/jwks-rotation.json). Proof by signature, not by the channel: a proxy or a
  fake server at the same address cannot produce one.
- **Time.** `highest_seen` only grows (local clock, server time from leases' `iat`);
  a local clock more than CLOCK_TOLERANCE_S behind it is refused (`clock_set_back`), and a
  lease's expiry is checked against the later of the two, so neither setting the clock
  back nor holding it still stretches the 7-day grace past what the client has lived.

Trust records are plain JSON: {"version": 1, "jwks": {"keys": [...]}, "highest_seen": <epoch s>}.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

import jwt

from server.schemas.lease import LeaseCheck, verify_lease

__all__ = ["CLOCK_TOLERANCE_S", "ROTATION_TYP", "Trust", "check_offline", "rotate", "first_pin"]

CLOCK_TOLERANCE_S = 300  # clocks drift; a clock set back by more than this is refused
ROTATION_TYP = "jwks-rotation"


def _ed25519_keys(jwks) -> list[dict]:
    keys = (jwks or {}).get("keys") if isinstance(jwks, dict) else None
    return [k for k in keys or [] if isinstance(k, dict) and k.get("kty") == "OKP" and k.get("crv") == "Ed25519"
            and isinstance(k.get("kid"), str) and isinstance(k.get("x"), str)]


@dataclass(frozen=True)
class Trust:
    jwks: dict
    highest_seen: int  # epoch seconds

    def to_json(self) -> dict:
        return {"version": 1, "jwks": self.jwks, "highest_seen": self.highest_seen}

    @classmethod
    def from_json(cls, data) -> "Trust | None":
        """None for anything that is not a well-formed record with at least one key."""
        if not isinstance(data, dict) or data.get("version") != 1:
            return None
        seen = data.get("highest_seen")
        keys = _ed25519_keys(data.get("jwks"))
        if not keys or not isinstance(seen, int) or isinstance(seen, bool):
            return None
        return cls({"keys": keys}, seen)

    def seen(self, *times: float | None) -> "Trust":
        """The record with `highest_seen` raised to the latest of `times` (never lowered)."""
        latest = max([self.highest_seen, *(int(t) for t in times if t is not None)])
        return self if latest == self.highest_seen else replace(self, highest_seen=latest)


def first_pin(jwks: dict, now: float) -> Trust | None:
    """The record made at the first sign-in to a server (trust on first use)."""
    keys = _ed25519_keys(jwks)
    return Trust({"keys": keys}, int(now)) if keys else None


def check_offline(token: str, trust: Trust | None, *, hardware_id: str, now: float) -> LeaseCheck:
    """The lease checked against the pinned keys at the trusted time. Reasons, besides
    verify_lease's: `not_pinned` (no trust record), `clock_set_back`."""
    if trust is None:
        return LeaseCheck(False, "not_pinned")
    if now < trust.highest_seen - CLOCK_TOLERANCE_S:
        return LeaseCheck(False, "clock_set_back")
    at = datetime.fromtimestamp(max(now, trust.highest_seen), timezone.utc)
    return verify_lease(token, trust.jwks, hardware_id=hardware_id, now=at)


def rotate(trust: Trust, statements: list) -> Trust | None:
    """The record with the key set of the first rotation statement signed by a pinned key,
    or None when no statement proves itself (the pin then stays as it is)."""
    pinned = {k["kid"]: k for k in trust.jwks["keys"]}
    for statement in statements if isinstance(statements, list) else []:
        try:
            header = jwt.get_unverified_header(statement)
            jwk = pinned.get(header.get("kid"))
            if jwk is None or header.get("alg") != "EdDSA" or header.get("typ") != ROTATION_TYP:
                continue
            claims = jwt.decode(statement, jwt.PyJWK(jwk, algorithm="EdDSA").key, algorithms=["EdDSA"],
                                options={"verify_exp": False, "verify_iat": False, "verify_aud": False})
        except (jwt.PyJWTError, TypeError, ValueError):
            continue
        keys = _ed25519_keys({"keys": claims.get("keys")})
        if keys:
            return Trust({"keys": keys}, trust.highest_seen)
    return None
