"""Daily command quotas: per user, per UTC day, counted atomically.

The limit is the first of: the user's override, the tenant's default override, the daily
limit of the tenant's primary license, the free tier's (a tenant without a live license).
Overrides are read on every call, so an admin's change takes effect immediately.

Counting is one statement, `INSERT ... ON CONFLICT (user_id, day) DO UPDATE SET count =
count + n WHERE count + n <= limit RETURNING count`: no row back means the quota is spent,
and concurrent callers can neither lose an update nor overshoot the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import AuditEvent, CommandUsage, Tenant, User
from server.services import audit
from server.services.licenses import TIERS
from server.services.tokens import tenant_primary_license


@dataclass(frozen=True)
class Usage:
    used: int
    limit: int
    resets_at: datetime


def utc_day(now: datetime) -> date:
    return now.astimezone(timezone.utc).date()


def next_reset(now: datetime) -> datetime:
    """The next UTC midnight: when today's count starts again from zero."""
    return datetime.combine(utc_day(now) + timedelta(days=1), time(0), tzinfo=timezone.utc)


async def effective_daily_limit(db: AsyncSession, user: User, now: datetime) -> int:
    if user.daily_limit is not None:
        return user.daily_limit
    tenant_default = await db.scalar(select(Tenant.default_daily_limit).where(Tenant.id == user.tenant_id))
    if tenant_default is not None:
        return tenant_default
    lic = await tenant_primary_license(db, user.tenant_id, now)
    return lic.daily_limit if lic else TIERS["free"].daily_limit


async def usage_today(db: AsyncSession, user_id: str, now: datetime) -> int:
    used = await db.scalar(
        select(CommandUsage.count).where(CommandUsage.user_id == user_id, CommandUsage.day == utc_day(now))
    )
    return used or 0


def _insert(dialect_name: str):
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(CommandUsage)


async def count_commands(db: AsyncSession, clock, user: User, n: int, *, client_addr: str | None = None) -> Usage:
    """Add n commands to today's count, or raise 429 quota_exceeded (nothing counted)."""
    now = clock.now()
    limit = await effective_daily_limit(db, user, now)
    day = utc_day(now)
    used = None
    if n <= limit:
        stmt = _insert(db.bind.dialect.name).values(user_id=user.id, day=day, tenant_id=user.tenant_id, count=n)
        stmt = stmt.on_conflict_do_update(
            index_elements=[CommandUsage.user_id, CommandUsage.day],
            set_={"count": CommandUsage.count + n},
            where=CommandUsage.count + n <= limit,
        ).returning(CommandUsage.count)
        used = (await db.execute(stmt)).scalar_one_or_none()
    if used is None:
        await _quota_exceeded(db, clock, user, limit, n, client_addr)
    return Usage(used=used, limit=limit, resets_at=next_reset(now))


async def _quota_exceeded(db: AsyncSession, clock, user: User, limit: int, n: int, client_addr: str | None):
    now = clock.now()
    resets_at = next_reset(now)
    day_start = resets_at - timedelta(days=1)
    # One audit event per user and day: a client retrying in a loop must not flood the trail.
    already = await db.scalar(select(exists().where(and_(
        AuditEvent.action == "quota.exceeded", AuditEvent.actor_user_id == user.id, AuditEvent.at >= day_start,
    ))))
    if not already:
        await audit.record(db, clock, "quota.exceeded", tenant_id=user.tenant_id, actor=user,
                           client_addr=client_addr, target=f"user:{user.id}", detail={"limit": limit})
        await db.commit()  # the 429 below rolls back the request's transaction
    retry_after = max(1, math.ceil((resets_at - now).total_seconds()))
    raise ApiError(
        429, "quota_exceeded", "You have used today's command quota.",
        f"Your limit is {limit} commands per day; it resets at midnight UTC.",
        headers={"Retry-After": str(retry_after)},
        used=await usage_today(db, user.id, now), limit=limit, requested=n,
        resets_at=resets_at.isoformat().replace("+00:00", "Z"), retry_after=retry_after,
    )
