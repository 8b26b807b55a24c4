"""Admin view of the tenant's login sessions: search, revoke one, revoke all of a user's.

The search is built to stay fast on a large tenant: it walks a covering (tenant_id, created_at,
id, ...) index newest first and stops after one page (keyset cursor), filtering each entry by
`q` on the way; user e-mails are matched through the tenant's (small) user list and
looked up for the page's rows only, so there is no join in the scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import LoginSession, User
from server.services import sessions as session_service
from server.services.admin_seats import release_user_seats
from server.services.paging import decode_cursor, page_of
from server.services.tenancy import TenantScope


async def search_sessions(
    db: AsyncSession, clock, scope: TenantScope, *, q: str | None, user_id: str | None,
    active: bool | None, cursor: str | None, limit: int,
) -> tuple[list[tuple[LoginSession, str]], str | None]:
    """-> ([(session, user email)], next cursor), newest first."""
    now = clock.now()
    # Ids first: every column this query reads is in ix_login_sessions_tenant_search, so a
    # rare `q` scans the index only; the page's rows are loaded afterwards by id.
    stmt = scope.scoped(select(LoginSession.id), LoginSession)
    if user_id:
        await scope.get_scoped(db, User, user_id)
        stmt = stmt.where(LoginSession.user_id == user_id)
    needle = (q or "").strip().lower()
    if needle:
        emails_matching = scope.scoped(select(User.id).where(User.email.contains(needle, autoescape=True)), User)
        stmt = stmt.where(or_(
            LoginSession.user_id.in_(emails_matching),
            func.lower(LoginSession.device_name).contains(needle, autoescape=True),
        ))
    live = and_(LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)
    if active is True:
        stmt = stmt.where(live)
    elif active is False:
        stmt = stmt.where(~live)
    if cursor:
        created_at, last_id = decode_cursor(cursor, datetime, str)
        stmt = stmt.where(tuple_(LoginSession.created_at, LoginSession.id) < (created_at, last_id))
    stmt = stmt.order_by(LoginSession.created_at.desc(), LoginSession.id.desc()).limit(limit + 1)
    ids = list((await db.execute(stmt)).scalars())
    by_id = {s.id: s for s in (await db.execute(select(LoginSession).where(LoginSession.id.in_(ids)))).scalars()}
    rows, next_cursor = page_of([by_id[i] for i in ids], limit, lambda s: (s.created_at, s.id))
    emails = await _emails(db, {s.user_id for s in rows})
    return [(s, emails.get(s.user_id, "")) for s in rows], next_cursor


async def _emails(db: AsyncSession, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return dict((await db.execute(select(User.id, User.email).where(User.id.in_(user_ids)))).all())


async def revoke_one(db: AsyncSession, clock, scope: TenantScope, session_id: str) -> None:
    session = await scope.get_scoped(db, LoginSession, session_id)
    await scope.require_owner_to_act_on(db, session.user_id, "sign out an owner")
    await session_service.revoke_session(
        db, clock, session, reason="admin_revoked", actor=scope.actor, client_addr=scope.client_addr,
    )


async def revoke_all_of_user(db: AsyncSession, clock, scope: TenantScope, user_id: str, *, reason: str) -> int:
    """End every session of a user and every seat they hold (even one no session holds)."""
    user = await scope.get_scoped(db, User, user_id)
    if user.role == "owner":
        scope.require_owner("sign out an owner")
    count = await session_service.revoke_user_sessions(
        db, clock, user.id, reason=reason, actor=scope.actor, client_addr=scope.client_addr,
    )
    await release_user_seats(db, clock, scope, user.id, reason=reason)
    return count
