"""Pending invitations: list them and revoke one (the admin console's Users screen).

An invitation keeps working only while its inviter still may invite that role
(`inviter_still_entitled`, used here to list and by services/invitations.py to accept):
an inviter who was disabled, demoted to member, or (for an owner invitation) is no longer
an owner takes their pending invitations with them. Invitations made by the system
(no inviter) are not affected.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.errors import ApiError
from server.models import Invitation, User
from server.services.paging import decode_cursor, page_of
from server.services.tenancy import TenantScope


def inviter_still_entitled():
    """SQL condition on Invitation: nobody invited, or the inviter is an active member of
    the tenant whose role may still make this invitation."""
    inviter = aliased(User)
    entitled = exists().where(
        inviter.id == Invitation.invited_by,
        inviter.tenant_id == Invitation.tenant_id,
        inviter.disabled.is_(False),
        or_(inviter.role == "owner", and_(inviter.role == "admin", Invitation.role != "owner")),
    )
    return or_(Invitation.invited_by.is_(None), entitled)


def pending(now: datetime):
    """SQL condition: the invitation's code would be accepted now."""
    return and_(Invitation.accepted_at.is_(None), Invitation.expires_at > now, inviter_still_entitled())


async def list_invitations(
    db: AsyncSession, clock, scope: TenantScope, *, cursor: str | None, limit: int,
) -> tuple[list[tuple[Invitation, str | None]], str | None]:
    """-> ([(invitation, inviter email)], next cursor), newest first."""
    stmt = scope.scoped(select(Invitation), Invitation).where(pending(clock.now()))
    if cursor:
        created_at, last_id = decode_cursor(cursor, datetime, str)
        stmt = stmt.where(tuple_(Invitation.created_at, Invitation.id) < (created_at, last_id))
    stmt = stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit + 1)
    rows, next_cursor = page_of(list((await db.execute(stmt)).scalars()), limit, lambda i: (i.created_at, i.id))
    inviters = {i.invited_by for i in rows if i.invited_by}
    emails = dict((await db.execute(select(User.id, User.email).where(User.id.in_(inviters)))).all()) if inviters else {}
    return [(i, emails.get(i.invited_by)) for i in rows], next_cursor


async def revoke_invitation(db: AsyncSession, clock, scope: TenantScope, invitation_id: str) -> None:
    """Delete a not-yet-accepted invitation (its code stops working). An accepted one is
    history, not an invitation any more: 404 like an unknown id."""
    invitation = (await db.execute(
        scope.scoped(select(Invitation), Invitation)
        .where(Invitation.id == invitation_id, Invitation.accepted_at.is_(None))
    )).scalar_one_or_none()
    if invitation is None:
        raise ApiError(404, "not_found", "No such invitation in your organization.")
    await db.execute(delete(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None)))
    await scope.audit(db, clock, "invitation.revoked", target=f"invitation:{invitation.id}",
                      detail={"email": invitation.email, "role": invitation.role})
