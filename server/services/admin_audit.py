"""The tenant's audit trail, newest first, keyset-paginated on the event id."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import AuditEvent, User
from server.services.paging import decode_cursor, page_of
from server.services.tenancy import TenantScope


async def audit_page(
    db: AsyncSession, scope: TenantScope, *, action: str | None, cursor: str | None, limit: int,
    user_id: str | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """`user_id`: the events that user did, or that were done to them (target user:<id>)."""
    stmt = scope.scoped(select(AuditEvent), AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if user_id:
        user = await scope.get_scoped(db, User, user_id)
        stmt = stmt.where(or_(AuditEvent.actor_user_id == user.id, AuditEvent.target == f"user:{user.id}"))
    if cursor:
        (before,) = decode_cursor(cursor, int)
        stmt = stmt.where(AuditEvent.id < before)
    rows = list((await db.execute(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1))).scalars())
    return page_of(rows, limit, lambda event: (event.id,))
