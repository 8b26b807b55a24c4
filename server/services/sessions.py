"""Ending login sessions. Revocation is immediate (deps checks `sid` on every request)
and ends every seat the session holds, so a revoked device also gives its seat back."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import LoginSession, Seat
from server.services import audit
from server.services.seats import lock_licenses

OWN_SESSIONS_LIMIT = 100


async def own_sessions(db: AsyncSession, clock, user_id: str) -> list[LoginSession]:
    """A user's sessions that have not reached their absolute expiry, newest first."""
    return list((
        await db.execute(
            select(LoginSession)
            .where(LoginSession.user_id == user_id, LoginSession.expires_at > clock.now())
            .order_by(LoginSession.created_at.desc()).limit(OWN_SESSIONS_LIMIT)
        )
    ).scalars().all())


async def own_session(db: AsyncSession, user_id: str, session_id: str) -> LoginSession:
    """One of the user's own sessions; someone else's is answered like a missing one."""
    session = await db.get(LoginSession, session_id)
    if session is None or session.user_id != user_id:
        raise ApiError(404, "session_not_found", "No such session.")
    return session


async def revoke_session(
    db: AsyncSession, clock, session: LoginSession, *, reason: str, actor=None, client_addr: str | None = None,
) -> None:
    """Revoke one session and release its seats; a no-op if it is already revoked."""
    now = clock.now()
    # Conditional update: of two concurrent revocations only one writes the audit event.
    result = await db.execute(
        update(LoginSession)
        .where(LoginSession.id == session.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:64])
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        return
    session.revoked_at, session.revoked_reason = now, reason[:64]
    # Releasing seats changes their licenses' open_seats: lock those licenses first.
    await lock_licenses(db, (await db.execute(
        select(Seat.license_id).where(Seat.session_id == session.id, Seat.released_at.is_(None))
    )).scalars())
    await db.execute(
        update(Seat)
        .where(Seat.session_id == session.id, Seat.released_at.is_(None))
        .values(released_at=now, released_reason="session_revoked")
        .execution_options(synchronize_session=False)
    )
    await audit.record(
        db, clock, "session.revoked", tenant_id=session.tenant_id, actor=actor, client_addr=client_addr,
        target=f"session:{session.id}", detail={"reason": reason, "user_id": session.user_id},
    )


async def revoke_user_sessions(
    db: AsyncSession, clock, user_id: str, *, reason: str, actor=None, client_addr: str | None = None,
) -> int:
    """Revoke every live session of a user; returns how many were revoked."""
    sessions = (
        await db.execute(
            select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        )
    ).scalars().all()
    for session in sessions:
        await revoke_session(db, clock, session, reason=reason, actor=actor, client_addr=client_addr)
    return len(sessions)
