"""The admin console's overview: the organization at a glance, in one request.

Counts only (each an indexed, tenant-scoped aggregate), so it stays cheap on a tenant of
tens of thousands of sessions and can be polled every few seconds.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEvent, CommandUsage, Invitation, License, LoginSession, Seat, Tenant, User
from server.services.admin_invitations import pending
from server.services.licenses import TIERS
from server.services.quotas import next_reset, utc_day
from server.services.seats import live_seat_filter
from server.services.tenancy import TenantScope
from server.services.tokens import tenant_primary_license

OVERVIEW_AUDIT_EVENTS = 10


async def overview(db: AsyncSession, clock, scope: TenantScope, *, ttl_s: int) -> dict:
    now = clock.now()
    tenant_id = scope.tenant_id

    async def count(stmt) -> int:
        return (await db.execute(stmt)).scalar_one() or 0

    tenant = await db.get(Tenant, tenant_id)
    live_seats = dict((await db.execute(
        scope.scoped(select(Seat.license_id, func.count()), Seat)
        .where(live_seat_filter(now, ttl_s)).group_by(Seat.license_id)
    )).all())
    licenses = [
        {"key": lic.key, "tier": lic.tier, "seats_used": live_seats.get(lic.id, 0), "seats_total": lic.seats,
         "expires_at": lic.expires_at}
        for lic in (await db.execute(scope.scoped(select(License), License).order_by(License.created_at))).scalars()
    ]
    primary = await tenant_primary_license(db, tenant_id, now)
    default_limit = tenant.default_daily_limit
    if default_limit is None:
        default_limit = primary.daily_limit if primary else TIERS["free"].daily_limit
    today = select(CommandUsage).where(CommandUsage.tenant_id == tenant_id, CommandUsage.day == utc_day(now))
    today = today.subquery()
    users = scope.scoped(select(func.count()).select_from(User), User)
    events = (await db.execute(scope.scoped(select(AuditEvent), AuditEvent)
                               .order_by(AuditEvent.id.desc()).limit(OVERVIEW_AUDIT_EVENTS))).scalars().all()
    return {
        "tenant_id": tenant_id,
        "organization": tenant.name,
        "tier": primary.tier if primary else None,
        "licenses": licenses,
        "seats_used": sum(lic["seats_used"] for lic in licenses),
        "seats_total": sum(lic["seats_total"] for lic in licenses),
        "sessions_live": await count(
            scope.scoped(select(func.count()).select_from(LoginSession), LoginSession)
            .where(LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)),
        "users": await count(users),
        "users_disabled": await count(users.where(User.disabled.is_(True))),
        "invitations_pending": await count(
            scope.scoped(select(func.count()).select_from(Invitation), Invitation).where(pending(now))),
        "commands_today": await count(select(func.coalesce(func.sum(today.c.count), 0))),
        "daily_limit": default_limit,
        "users_at_limit": await count(
            select(func.count()).select_from(today).join(User, User.id == today.c.user_id)
            .where(today.c.count >= func.coalesce(User.daily_limit, default_limit))),
        "resets_at": next_reset(now),
        "recent_audit": events,
    }
