"""`coditect-console server create-license`: print a new, unbound license key.

stdout carries the key and nothing else, so scripts can capture it
(`KEY=$(coditect-console server create-license --tier pro)`); every failure is one plain
sentence on stderr and exit code 1. An owner or admin then binds the key to their
organization with POST /licenses/activate.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta, timezone

from server.runtime import Runtime
from server.services import audit
from server.services.licenses import create_license as create_license_row

MAX_SEATS = 100_000


def _fail(message: str) -> int:
    print(f"coditect-console server create-license: {message}", file=sys.stderr)
    return 1


def expiry_from_date(text: str) -> datetime:
    """--expires YYYY-MM-DD: the license is valid through that UTC day."""
    day = date.fromisoformat(text.strip())
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


async def create_license(settings, args) -> int:
    if args.seats is not None and not 1 <= args.seats <= MAX_SEATS:
        return _fail(f"--seats must be between 1 and {MAX_SEATS}.")
    if args.daily_limit is not None and args.daily_limit < 0:
        return _fail("--daily-limit cannot be negative.")
    expires_at = None
    if args.expires:
        try:
            expires_at = expiry_from_date(args.expires)
        except ValueError:
            return _fail(f"--expires {args.expires!r} is not a date like 2027-12-31.")
        if expires_at <= settings.clock.now():
            return _fail(f"--expires {args.expires} is in the past.")
    runtime = Runtime(settings)
    try:
        await runtime.start()
        async with runtime.sessionmaker() as db:
            lic = await create_license_row(db, runtime.clock, args.tier, seats=args.seats,
                                           daily_limit=args.daily_limit, expires_at=expires_at)
            await audit.record(db, runtime.clock, "license.created", tenant_id=None, target=f"license:{lic.id}",
                               detail={"tier": lic.tier, "seats": lic.seats, "daily_limit": lic.daily_limit,
                                       "expires_at": expires_at.isoformat() if expires_at else None})
            await db.commit()
            key = lic.key
    except OSError as exc:
        return _fail(f"cannot open the database: {exc.strerror or exc}.")
    finally:
        await runtime.close()
    print(key)
    return 0
