"""Failed-attempt throttling, kept in the database so that every API process agrees.

Only failures are counted (wrong password, wrong or replayed MFA code, wrong e-mail
code). Once a key has too many failures in the window, every attempt under that key is
refused with 429 before any password or code is looked at, so a correct guess cannot be
told apart while the limit holds; the oldest failures then age out of the window.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import AuthFailure

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10  # per account: ASVS allows at most 100 an hour
ADDR_LIMIT = 50  # per client address, across accounts (offices share addresses)


def _limits(email: str | None, client_addr: str | None) -> list[tuple[str, int]]:
    keys = []
    if email:
        keys.append((f"account:{email}", ACCOUNT_LIMIT))
    if client_addr:
        keys.append((f"addr:{client_addr}", ADDR_LIMIT))
    return keys


async def ensure_allowed(db: AsyncSession, clock, *, email: str | None, client_addr: str | None) -> None:
    """Raise 429 `rate_limited` (with Retry-After) when a key is over its limit."""
    now = clock.now()
    for key, limit in _limits(email, client_addr):
        recent = (
            await db.execute(
                select(AuthFailure.at)
                .where(AuthFailure.key == key, AuthFailure.at > now - WINDOW)
                .order_by(AuthFailure.at.desc())
                .limit(limit)
            )
        ).scalars().all()
        if len(recent) >= limit:
            # Allowed again once the limit-th most recent failure leaves the window.
            retry_after = max(1, math.ceil((recent[limit - 1] + WINDOW - now).total_seconds()))
            raise ApiError(
                429, "rate_limited", "Too many failed attempts.",
                f"Wait {retry_after} seconds, then try again.",
                headers={"Retry-After": str(retry_after)}, retry_after=retry_after,
            )


async def record_failure(db: AsyncSession, clock, *, email: str | None, client_addr: str | None) -> None:
    """Count one failure (the caller commits before raising its error)."""
    now = clock.now()
    for key, _limit in _limits(email, client_addr):
        await db.execute(delete(AuthFailure).where(AuthFailure.key == key, AuthFailure.at <= now - WINDOW))
        db.add(AuthFailure(key=key, at=now))
