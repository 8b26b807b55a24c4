"""Pending registrations: each belongs to the client that made it.

Registering returns a *registration handle* (an opaque token, stored as its SHA-256).
Verifying a registration needs its handle next to the mailed code, and the mailed link
needs the handle or the registration's password: a stranger who registers someone's
address gets codes for the stranger's own registration only, and can neither verify nor
replace the owner's. Several pending registrations of one address coexist; the first
verified wins and the others vanish (with their tenants when nothing else is bound to them).
Signing in to a pending registration with its password proves it too: the refusal
(`email_not_verified`) carries the handle again, for a console that lost its own.
"""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import License, Tenant, User
from server.security import token_hash
from server.services import audit

# How many pending registrations of one address a sign-in tries the password against
# (mails to one address are limited to 10 a day, so there are rarely more than a few).
MAX_PENDING_TRIED = 5


async def lock_address(db: AsyncSession, email: str) -> None:
    """Verifications of one address, one at a time (the winner deletes the others' rows:
    without this, two at once deadlock on PostgreSQL). SQLite's write lock does it there."""
    if db.bind.dialect.name == "postgresql":
        await db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"address:{email}"})


def new_handle(runtime, user: User) -> str:
    """The handle of `user`'s registration: a MAC of its id under a server secret, so the
    same handle can be given again to whoever proves the registration's password."""
    handle = runtime.code_mac.digest(user.id, "registration handle")
    user.registration_handle_hash = token_hash(handle)
    return handle


def handle_matches(user: User, handle: str | None) -> bool:
    from server.security import constant_time_equal

    return bool(handle and user.registration_handle_hash
                and constant_time_equal(user.registration_handle_hash, token_hash(handle)))


async def pending(db: AsyncSession, email: str) -> list[User]:
    """Unverified registrations of `email`, newest first."""
    return list((await db.execute(
        select(User).where(User.email == email, User.email_verified_at.is_(None)).order_by(User.created_at.desc())
    )).scalars().all())


async def verified_account(db: AsyncSession, email: str) -> User | None:
    return (await db.execute(
        select(User).where(User.email == email, User.email_verified_at.is_not(None))
    )).scalar_one_or_none()


async def sign_in_candidates(db: AsyncSession, email: str) -> list[User]:
    """The verified account of `email`, else its newest pending registrations."""
    account = await verified_account(db, email)
    return [account] if account is not None else (await pending(db, email))[:MAX_PENDING_TRIED]


async def match_password(hasher, candidates: list[User], password: str) -> User | None:
    """The candidate whose password this is (an empty list spends one dummy check)."""
    if not candidates:
        await hasher.verify(None, password)
        return None
    for user in candidates:
        if await hasher.verify(user.password_hash, password):
            return user
    return None


def not_verified(runtime, user: User) -> ApiError:
    """The refusal for a right password on a pending registration: carries its handle."""
    handle = runtime.code_mac.digest(user.id, "registration handle")
    return ApiError(403, "email_not_verified", "Verify your e-mail address first.",
                    "Type the code from the mail we sent, or ask for a new one.", registration=handle)


async def won(db: AsyncSession, runtime, user: User, client_addr: str | None) -> None:
    """`user` was just verified: it holds the address now; the other registrations vanish.
    Of two registrations verified at once, the second finds the address taken (409)."""
    user.registration_handle_hash = None
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise ApiError(409, "email_taken", "An account with this e-mail address exists.",
                       "Another registration of this address was verified first. Sign in instead.") from None
    others = (await db.execute(
        select(User).where(User.email == user.email, User.id != user.id, User.email_verified_at.is_(None))
    )).scalars().all()
    for other in others:
        await discard_pending_account(db, runtime, other, client_addr=client_addr)


async def discard_pending_account(db: AsyncSession, runtime, user: User, client_addr: str | None = None) -> None:
    """Delete an unverified account, and its tenant when nothing else is bound to it (no
    other user, no license but the free one registration made)."""
    await db.execute(delete(User).where(User.id == user.id))
    others = (await db.execute(select(User.id).where(User.tenant_id == user.tenant_id).limit(1))).first()
    paid = (await db.execute(
        select(License.id).where(License.tenant_id == user.tenant_id, License.tier != "free").limit(1)
    )).first()
    if others is None and paid is None:
        await db.execute(delete(License).where(License.tenant_id == user.tenant_id))
        await db.execute(delete(Tenant).where(Tenant.id == user.tenant_id))
    await audit.record(db, runtime.clock, "auth.unverified_account_replaced", tenant_id=user.tenant_id,
                       client_addr=client_addr, target=f"user:{user.id}")
