"""Admin view and overrides of the daily command quotas (the rule itself lives in
services/quotas.py, which reads the overrides on every call: changes apply at once)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import CommandUsage, Tenant, User
from server.services.licenses import TIERS
from server.services.paging import decode_cursor, page_of
from server.services.quotas import effective_daily_limit, next_reset, utc_day
from server.services.tenancy import TenantScope
from server.services.tokens import tenant_primary_license


async def quota_page(db: AsyncSession, clock, scope: TenantScope, *, cursor: str | None, limit: int) -> dict:
    now = clock.now()
    stmt = scope.scoped(select(User), User).order_by(User.email).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, str)
        stmt = stmt.where(User.email > after)
    users, next_cursor = page_of(list((await db.execute(stmt)).scalars()), limit, lambda u: (u.email,))
    used = dict((await db.execute(
        select(CommandUsage.user_id, CommandUsage.count)
        .where(CommandUsage.user_id.in_([u.id for u in users]), CommandUsage.day == utc_day(now))
    )).all())
    lic = await tenant_primary_license(db, scope.tenant_id, now)
    rows = [
        {"user_id": u.id, "email": u.email, "override": u.daily_limit,
         "effective_limit": await effective_daily_limit(db, u, now), "used_today": used.get(u.id, 0)}
        for u in users
    ]
    return {
        "default_override": await db.scalar(select(Tenant.default_daily_limit).where(Tenant.id == scope.tenant_id)),
        "tier_limit": lic.daily_limit if lic else TIERS["free"].daily_limit,
        "resets_at": next_reset(now),
        "users": rows,
        "next_cursor": next_cursor,
    }


async def set_user_limit(db: AsyncSession, clock, scope: TenantScope, user_id: str, daily_limit: int | None) -> User:
    user = await scope.get_scoped(db, User, user_id)
    if user.role == "owner":
        scope.require_owner("change an owner's quota")
    before, user.daily_limit = user.daily_limit, daily_limit
    await scope.audit(db, clock, "quota.user_limit_set", target=f"user:{user.id}",
                      detail={"daily_limit": [before, daily_limit]})
    return user


async def set_default_limit(db: AsyncSession, clock, scope: TenantScope, daily_limit: int | None) -> None:
    tenant = await db.get(Tenant, scope.tenant_id)
    before, tenant.default_daily_limit = tenant.default_daily_limit, daily_limit
    await scope.audit(db, clock, "quota.default_limit_set", target=f"tenant:{tenant.id}",
                      detail={"daily_limit": [before, daily_limit]})
