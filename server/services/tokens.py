"""Opening login sessions and minting their tokens.

Access token: EdDSA JWT, 1 h, claims sub, tid, tier, role, scopes, license_key, sid, amr,
iss, aud, iat, exp. Refresh token: opaque, stored hashed, rotated on every use (rotation
and reuse detection live in services/auth), absolute expiry = the session's expires_at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
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
