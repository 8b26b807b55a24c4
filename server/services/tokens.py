"""Opening login sessions and minting their tokens.

Access token: EdDSA JWT, 1 h, claims sub, tid, tier, role, scopes, license_key, sid, amr,
iss, aud, iat, exp. Refresh token: opaque, stored hashed, rotated on every use (rotation
and reuse detection live in services/auth), absolute expiry = the session's expires_at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import License, LoginSession, RefreshToken, User
from server.security import new_opaque_token, token_hash

TIER_RANK = {"free": 0, "pro": 1, "team": 2, "enterprise": 3}

ROLE_SCOPES = {
    "owner": ["account", "licenses:use", "admin:read", "admin:write"],
    "admin": ["account", "licenses:use", "admin:read", "admin:write"],
    "member": ["account", "licenses:use"],
    "support": ["account", "support:read"],
}


class VerifiedTokens:
    """Access tokens whose signature, issuer, audience and type have been verified, with
    their claims, so that a client's next request with the same token skips the EdDSA
    verification. Only what the token itself proves is cached: expiry is checked against
    the clock and the session (`sid`) against the database on every request, so a
    revoked session is refused on its next request whatever this cache holds.
    """

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._claims: dict[str, dict] = {}

    def get(self, token: str) -> dict | None:
        return self._claims.get(token)

    def put(self, token: str, claims: dict, now_ts: float) -> None:
        if len(self._claims) >= self.MAX_ENTRIES:
            # Drop the expired ones; if that frees too little, start again (a cache miss
            # only costs one verification).
            self._claims = {t: c for t, c in self._claims.items() if c.get("exp", 0) > now_ts}
            if len(self._claims) >= self.MAX_ENTRIES // 2:
                self._claims = {}
        self._claims[token] = claims


@dataclass
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


async def tenant_primary_license(db: AsyncSession, tenant_id: str, now) -> License | None:
    """The tenant's best license that has not expired (highest tier, then most seats)."""
    rows = (await db.execute(select(License).where(License.tenant_id == tenant_id))).scalars().all()
    live = [lic for lic in rows if lic.expires_at is None or lic.expires_at > now]
    if not live:
        return None
    return max(live, key=lambda lic: (TIER_RANK.get(lic.tier, -1), lic.seats, lic.created_at))


def primary_license_columns(tenant_id, now):
    """(tier, key) of the tenant's primary license (the rule of tenant_primary_license) as
    two scalar subqueries, for reading it in the same statement as the caller's row."""
    rank = case(*((License.tier == tier, value) for tier, value in TIER_RANK.items()), else_=-1)

    def best(column):
        return (select(column).where(License.tenant_id == tenant_id,
                                     or_(License.expires_at.is_(None), License.expires_at > now))
                .order_by(rank.desc(), License.seats.desc(), License.created_at.desc()).limit(1).scalar_subquery())

    return best(License.tier), best(License.key)


async def access_token_for(db: AsyncSession, runtime, user: User, session: LoginSession) -> tuple[str, int]:
    settings = runtime.settings
    now = runtime.clock.now()
    lic = await tenant_primary_license(db, user.tenant_id, now)
    ttl = settings.access_token_ttl_s
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": user.id,
        "tid": user.tenant_id,
        "role": user.role,
        "scopes": ROLE_SCOPES.get(user.role, []),
        "tier": lic.tier if lic else None,
        "license_key": lic.key if lic else None,
        "sid": session.id,
        "amr": session.amr.split(),
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
    }
    return runtime.signing_key.sign(claims), ttl


async def new_refresh_token(db: AsyncSession, runtime, session: LoginSession) -> str:
    token = new_opaque_token()
    db.add(RefreshToken(session_id=session.id, token_hash=token_hash(token), created_at=runtime.clock.now()))
    return token


async def open_session(
    db: AsyncSession,
    runtime,
    user: User,
    *,
    amr: list[str],
    device_name: str = "",
    hardware_id: str | None = None,
    client_addr: str | None = None,
) -> IssuedTokens:
    now = runtime.clock.now()
    session = LoginSession(
        user_id=user.id,
        tenant_id=user.tenant_id,
        device_name=device_name[:200],
        hardware_id=hardware_id,
        client_addr=client_addr,
        amr=" ".join(amr),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=runtime.settings.refresh_token_ttl_days),
    )
    db.add(session)
    await db.flush()
    refresh = await new_refresh_token(db, runtime, session)
    access, ttl = await access_token_for(db, runtime, user, session)
    return IssuedTokens(access_token=access, refresh_token=refresh, expires_in=ttl, session_id=session.id)
