"""Support staff: read-only inspection of any customer tenant.

Nothing here writes except the trail: every open of a tenant records `support.viewed`
with the support actor in THAT tenant's audit log, so customers can see who looked.
The customer's lists (sessions, seats, users, ... through `viewing_scope`) are covered by
that view for VIEW_COVERS: paging and refreshing add nothing to the trail, and a list read
with no recent view of this actor (a script, a console left open) records one first.
Staff tenants are never listed nor opened (404, as if they did not exist).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import AuditEvent, CommandUsage, License, LoginSession, Seat, Tenant, User
from server.schemas.license_key import normalize_license_key
from server.services import audit
from server.services.paging import decode_cursor, page_of
from server.services.quotas import utc_day
from server.services.seats import live_seat_filter
from server.services.tenancy import TenantScope
from server.services.tokens import tenant_primary_license

DETAIL_AUDIT_EVENTS = 50
DETAIL_USERS_MAX = 500
VIEWED = "support.viewed"
VIEW_COVERS = timedelta(minutes=30)  # one recorded view covers this actor's reads of that tenant this long


async def search_tenants(db: AsyncSession, clock, *, q: str | None, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """Customer tenants by name; `q` matches the name, an owner's e-mail or a license key."""
    stmt = select(Tenant).where(Tenant.is_staff.is_(False))
    needle = (q or "").strip()
    if needle:
        lowered = needle.lower()
        stmt = stmt.where(or_(
            func.lower(Tenant.name).contains(lowered, autoescape=True),
            Tenant.id.in_(select(User.tenant_id).where(
                User.role == "owner", User.email.contains(lowered, autoescape=True))),
            Tenant.id.in_(select(License.tenant_id).where(
                License.key.contains(normalize_license_key(needle), autoescape=True))),
        ))
    if cursor:
        name, tenant_id = decode_cursor(cursor, str, str)
        stmt = stmt.where(tuple_(Tenant.name, Tenant.id) > (name, tenant_id))
    rows = list((await db.execute(stmt.order_by(Tenant.name, Tenant.id).limit(limit + 1))).scalars())
    tenants, next_cursor = page_of(rows, limit, lambda t: (t.name, t.id))
    owners: dict[str, list[str]] = {}
    for tenant_id, email in (await db.execute(
        select(User.tenant_id, User.email)
        .where(User.tenant_id.in_([t.id for t in tenants]), User.role == "owner").order_by(User.email)
    )).all():
        owners.setdefault(tenant_id, []).append(email)
    now = clock.now()
    summaries = []
    for tenant in tenants:
        lic = await tenant_primary_license(db, tenant.id, now)
        summaries.append({"id": tenant.id, "name": tenant.name, "created_at": tenant.created_at,
                          "tier": lic.tier if lic else None, "owner_emails": owners.get(tenant.id, [])})
    return summaries, next_cursor


async def customer(db: AsyncSession, tenant_id: str) -> Tenant:
    """A customer tenant, else 404 (a staff tenant is answered like one that does not exist)."""
    tenant = await db.get(Tenant, tenant_id)
    if tenant is None or tenant.is_staff:
        raise ApiError(404, "not_found", "No such customer organization.")
    return tenant


async def _record_view(db: AsyncSession, clock, tenant: Tenant, actor: User, client_addr: str | None) -> None:
    await audit.record(db, clock, VIEWED, tenant_id=tenant.id, actor=actor,
                       client_addr=client_addr, target=f"tenant:{tenant.id}")
    await db.flush()


async def viewing_scope(db: AsyncSession, clock, tenant_id: str, *, actor: User, client_addr: str | None) -> TenantScope:
    """The customer's tenant as a read scope for the admin list services, inside a recorded
    view: the last `support.viewed` of this actor there, or a new one when that is older
    than VIEW_COVERS."""
    tenant = await customer(db, tenant_id)
    covered = await db.scalar(
        select(AuditEvent.id).where(AuditEvent.tenant_id == tenant.id, AuditEvent.action == VIEWED,
                                    AuditEvent.actor_user_id == actor.id, AuditEvent.at > clock.now() - VIEW_COVERS)
        .limit(1))
    if covered is None:
        await _record_view(db, clock, tenant, actor, client_addr)
    return TenantScope(tenant_id=tenant.id, actor=actor, client_addr=client_addr,
                       whose="this customer's organization")


async def open_tenant(db: AsyncSession, clock, tenant_id: str, *, actor: User, client_addr: str | None, ttl_s: int) -> dict:
    """Every open is recorded (it is what the customer's trail shows as a support visit)."""
    tenant = await customer(db, tenant_id)
    await _record_view(db, clock, tenant, actor, client_addr)
    now = clock.now()

    async def count(stmt) -> int:
        return (await db.execute(stmt)).scalar_one() or 0

    licenses = []
    for lic in (await db.execute(select(License).where(License.tenant_id == tenant.id)
                                 .order_by(License.created_at))).scalars():
        live = await count(select(func.count()).select_from(Seat)
                           .where(Seat.license_id == lic.id, live_seat_filter(now, ttl_s)))
        licenses.append({"key": lic.key, "tier": lic.tier, "seats": lic.seats, "seats_live": live,
                         "daily_limit": lic.daily_limit, "activated_at": lic.activated_at,
                         "expires_at": lic.expires_at})
    users = (await db.execute(select(User).where(User.tenant_id == tenant.id)
                              .order_by(User.email).limit(DETAIL_USERS_MAX))).scalars().all()
    sessions = select(func.count()).select_from(LoginSession).where(LoginSession.tenant_id == tenant.id)
    primary = await tenant_primary_license(db, tenant.id, now)
    events = (await db.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
                               .order_by(AuditEvent.id.desc()).limit(DETAIL_AUDIT_EVENTS))).scalars().all()
    return {
        "id": tenant.id, "name": tenant.name, "created_at": tenant.created_at,
        "tier": primary.tier if primary else None,
        "licenses": licenses,
        "seats_live": sum(lic["seats_live"] for lic in licenses),
        "seats_total": sum(lic["seats"] for lic in licenses),
        "users": [{"id": u.id, "email": u.email, "full_name": u.full_name, "role": u.role,
                   "disabled": u.disabled, "mfa_enrolled": u.totp_enrolled_at is not None} for u in users],
        "user_count": await count(select(func.count()).select_from(User).where(User.tenant_id == tenant.id)),
        "sessions_active": await count(sessions.where(LoginSession.revoked_at.is_(None),
                                                      LoginSession.expires_at > now)),
        "sessions_total": await count(sessions),
        "commands_today": await count(select(func.coalesce(func.sum(CommandUsage.count), 0))
                                      .where(CommandUsage.tenant_id == tenant.id, CommandUsage.day == utc_day(now))),
        "default_daily_limit": tenant.default_daily_limit,
        "audit": events,
    }
