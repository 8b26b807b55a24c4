"""Rate limits kept in the database, so that every API process agrees.

One mechanism for two kinds of limit: failed attempts (wrong password, wrong or replayed
MFA code, wrong e-mail code, unknown invitation) and costly events (registrations,
invitations, verification mails). Each is a row in `auth_failures` under a key such as
"account:<email>"; a key over its limit in its window is refused with 429 before any
password or code is looked at, so a correct guess cannot be told apart while the limit holds.

An attempt is *reserved* (its row written and committed) before the slow or secret part
runs, and the check and the reservation happen under one lock per key (SQLite: the write
lock that BEGIN IMMEDIATE takes; PostgreSQL: a transaction advisory lock on the key). So
concurrent requests see each other's attempts while still in flight: N simultaneous wrong
passwords give at most `limit` answers that looked at the password. A success gives its
reservation back (`release`); a failure simply keeps it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import AuthFailure

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10  # per account: ASVS allows at most 100 an hour
ADDR_LIMIT = 50  # per client address, across accounts (offices share addresses)
VERIFY_LIMIT = 10  # wrong e-mail codes per address being verified (not the login key)
SIGNUP_LIMIT = 10  # registrations + verification re-sends per client address and hour
# Verification mails per address and hour. An hour, not a day: strangers registering
# someone's address can make its owner wait, and the wait must stay short (at most this).
CODES_PER_HOUR = 10
MAIL_WINDOW = timedelta(hours=1)
INVITES_PER_HOUR, INVITES_PER_DAY = 20, 100  # per tenant

# Longer than checking any password or code takes: a counted attempt younger than this may
# still be in flight, and a correct one gives its slot back within moments.
IN_FLIGHT = timedelta(seconds=5)

FAILED_ATTEMPTS = "Too many failed attempts."
TOO_MANY_SIGNUPS = "Too many sign-ups from this network."
TOO_MANY_MAILS = "Too many verification mails went to this address in the last hour."


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window: timedelta = WINDOW


def sign_in(email: str | None, client_addr: str | None) -> list[Limit]:
    """Passwords and second factors: per account and per client address."""
    account = [Limit(f"account:{email}", ACCOUNT_LIMIT)] if email else []
    return account + address(client_addr)


def address(client_addr: str | None) -> list[Limit]:
    return [Limit(f"addr:{client_addr}", ADDR_LIMIT)] if client_addr else []


def email_code(email: str, client_addr: str | None) -> list[Limit]:
    # Its own key: guessing someone's verification code must not lock their sign-in.
    return [Limit(f"verify:{email}", VERIFY_LIMIT)] + address(client_addr)


def signups(client_addr: str | None) -> list[Limit]:
    return [Limit(f"signup:{client_addr}", SIGNUP_LIMIT, timedelta(hours=1))] if client_addr else []


def codes_mailed(email: str) -> list[Limit]:
    return [Limit(f"code:{email}", CODES_PER_HOUR, MAIL_WINDOW)]


def invitations(tenant_id: str) -> list[Limit]:
    return [Limit(f"invite:{tenant_id}", INVITES_PER_HOUR, timedelta(hours=1)),
            Limit(f"invite:{tenant_id}", INVITES_PER_DAY, timedelta(days=1))]


@dataclass
class Reservation:
    ids: list[int]


async def reserve(db: AsyncSession, clock, limits: list[Limit], *, title: str = FAILED_ATTEMPTS,
                  code: str = "rate_limited") -> Reservation:
    """Count one attempt under every key, or raise 429 `code` (with Retry-After) and
    count nothing. The caller commits (early, when slow work follows)."""
    reservation, retry_after = await _reserve(db, clock, limits)
    if reservation is None:
        raise ApiError(429, code, title, f"Wait {retry_after} seconds, then try again.",
                       headers={"Retry-After": str(retry_after)}, retry_after=retry_after)
    return reservation


async def reserve_mail_to(db: AsyncSession, clock, email: str) -> Reservation:
    """One verification mail to `email`, or 429 `too_many_mails` saying how long to wait
    (at most MAIL_WINDOW), so the person registering their own address is told plainly."""
    return await reserve(db, clock, codes_mailed(email), title=TOO_MANY_MAILS, code="too_many_mails")


async def try_reserve(db: AsyncSession, clock, limits: list[Limit]) -> Reservation | None:
    """Like `reserve`, but None when over a limit (for answers that must not differ)."""
    return (await _reserve(db, clock, limits))[0]


async def release(db: AsyncSession, reservation: Reservation) -> None:
    """The attempt succeeded: it no longer counts."""
    if reservation.ids:
        await db.execute(delete(AuthFailure).where(AuthFailure.id.in_(reservation.ids)))


async def _reserve(db: AsyncSession, clock, limits: list[Limit]) -> tuple[Reservation | None, int]:
    now = clock.now()
    windows: dict[str, timedelta] = {}
    for limit in limits:
        windows[limit.key] = max(windows.get(limit.key, limit.window), limit.window)
    if db.bind.dialect.name == "postgresql":
        for key in sorted(windows):  # one order everywhere: no deadlocks between keys
            await db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    for key, window in windows.items():
        await db.execute(delete(AuthFailure).where(AuthFailure.key == key, AuthFailure.at <= now - window))
    for limit in limits:
        recent = (
            await db.execute(
                select(AuthFailure.at)
                .where(AuthFailure.key == limit.key, AuthFailure.at > now - limit.window)
                .order_by(AuthFailure.at.desc())
                .limit(limit.limit)
            )
        ).scalars().all()
        if len(recent) >= limit.limit:
            if recent[0] > now - IN_FLIGHT:
                # Some of these may be attempts still being checked (a burst of one's own
                # sign-ins): worth asking again in a few seconds, not in 15 minutes.
                return None, math.ceil(IN_FLIGHT.total_seconds())
            # Allowed again once the limit-th most recent attempt leaves the window.
            return None, max(1, math.ceil((recent[-1] + limit.window - now).total_seconds()))
    rows = [AuthFailure(key=key, at=now) for key in windows]
    db.add_all(rows)
    await db.flush()
    return Reservation([row.id for row in rows]), 0

