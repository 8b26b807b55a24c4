"""Counted failures are kept whatever else goes wrong.

A failed attempt is counted in rows the request has already written (a throttle
reservation, `failed_attempts` on a code or challenge). Those are committed on their own
first; the audit event follows in a second transaction, so an audit row that cannot be
written (or any later error) can never roll the counters back and give a guesser free tries.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from server.services import audit

log = logging.getLogger(__name__)


async def keep_counted(db: AsyncSession, clock, action: str, **event) -> None:
    """Commit what counts the failure, then audit it (best effort, separately)."""
    await db.commit()
    try:
        await audit.record(db, clock, action, **event)
        await db.commit()
    except Exception as exc:  # noqa: BLE001 - the counters are safe; say only what failed
        await db.rollback()
        log.error("audit event %s not written (%s)", action, type(exc).__name__)
