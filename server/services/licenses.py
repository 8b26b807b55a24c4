"""Licenses: tiers, creation and activation. (Seats live in services/seats.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.models import License
from server.schemas.license_key import generate_license_key


@dataclass(frozen=True)
class TierDefaults:
    seats: int
    daily_limit: int


TIERS: dict[str, TierDefaults] = {
    "free": TierDefaults(seats=1, daily_limit=10),
    "pro": TierDefaults(seats=5, daily_limit=1000),
    "team": TierDefaults(seats=25, daily_limit=5000),
    # Enterprise is set per license; these are only the defaults of create-license.
    "enterprise": TierDefaults(seats=100, daily_limit=20000),
}


async def create_license(
    db: AsyncSession,
    clock,
    tier: str,
    *,
    tenant_id: str | None = None,
    seats: int | None = None,
    daily_limit: int | None = None,
    expires_at: datetime | None = None,
) -> License:
    defaults = TIERS[tier]
    now = clock.now()
    lic = License(
        key=generate_license_key(tier),
        tier=tier,
        seats=seats if seats is not None else defaults.seats,
        daily_limit=daily_limit if daily_limit is not None else defaults.daily_limit,
        tenant_id=tenant_id,
        created_at=now,
        activated_at=now if tenant_id else None,
        expires_at=expires_at,
    )
    db.add(lic)
    await db.flush()
    return lic


async def create_free_license(db: AsyncSession, clock, tenant_id: str) -> License:
    """Every new tenant starts with its own free license (1 seat, 10 commands a day)."""
    return await create_license(db, clock, "free", tenant_id=tenant_id)
