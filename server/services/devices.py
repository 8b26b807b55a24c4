"""Device credentials against lockout by a stranger (OWASP "Slow Down Online Guessing
Attacks with Device Cookies").

Ten wrong passwords from anywhere lock an account for 15 minutes (services/throttle), so
anyone who knows an address can keep its owner out. A console that has signed in to the
account before holds a device credential (issued at every successful sign-in, stored here
only hashed, kept by the console next to its sign-in). A sign-in that presents a valid
credential of that account is counted under the credential alone: failures made elsewhere
(the account and client-address keys) do not apply to it, and its own failures count
against that credential only. A missing, unknown, expired or other account's credential is
an unknown device, with the usual limits; a stolen credential therefore buys its thief at
most the same 10 tries per 15 minutes as the device it was taken from.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import DeviceCredential, LoginSession, User
from server.security import new_opaque_token, token_hash
from server.services import throttle

DEVICE_LIMIT = throttle.ACCOUNT_LIMIT  # failures per device credential per window
DEVICE_TTL = timedelta(days=180)  # a device unused this long is unknown again
DEVICES_PER_USER = 20  # the newest ones are kept


async def known_device(db: AsyncSession, clock, users: User | list[User] | None, device_token: str | None
                       ) -> DeviceCredential | None:
    """The presented credential, if it is a live one of `users`' (the account signing in, or
    every account the address may mean); else None (unknown device)."""
    if not device_token:
        return None
    ids = {u.id for u in (users if isinstance(users, list) else [users] if users else [])}
    row = (await db.execute(
        select(DeviceCredential).where(DeviceCredential.token_hash == token_hash(device_token))
    )).scalar_one_or_none()
    if row is None or row.user_id not in ids or row.issued_at <= clock.now() - DEVICE_TTL:
        return None
    return row


def sign_in_limits(email: str | None, device: DeviceCredential | None, client_addr: str | None
                   ) -> list[throttle.Limit]:
    """Throttle keys for a password or second-factor attempt."""
    if device is not None:
        return [throttle.Limit(f"device:{device.id}", DEVICE_LIMIT)]
    return throttle.sign_in(email, client_addr)


async def remember_device(db: AsyncSession, clock, session_id: str, presented: str | None) -> str:
    """After a successful sign-in: a new credential for this device (the presented one, if
    it was this account's, is replaced) -> the credential, returned to the console once."""
    user_id = (await db.execute(select(LoginSession.user_id).where(LoginSession.id == session_id))).scalar_one()
    if presented:
        await db.execute(delete(DeviceCredential).where(
            DeviceCredential.token_hash == token_hash(presented), DeviceCredential.user_id == user_id,
        ))
    token = new_opaque_token()
    db.add(DeviceCredential(user_id=user_id, token_hash=token_hash(token), issued_at=clock.now()))
    await db.flush()
    keep = select(DeviceCredential.id).where(DeviceCredential.user_id == user_id) \
        .order_by(DeviceCredential.issued_at.desc(), DeviceCredential.id).limit(DEVICES_PER_USER)
    await db.execute(delete(DeviceCredential).where(
        DeviceCredential.user_id == user_id, DeviceCredential.id.not_in(keep.scalar_subquery()),
    ))
    return token
