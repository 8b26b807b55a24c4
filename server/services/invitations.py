"""Accepting an invitation: the invited person creates their account in the inviting tenant.

The token (mailed by services/admin_users.invite) is stored only as its SHA-256. It came
through the invited mailbox, so the new account's address counts as verified. Single use:
the invitation is marked accepted by a conditional UPDATE in the transaction that inserts
the user, so two concurrent accepts give one account (the other finds the address taken,
or the invitation used). Failed look-ups count towards the per-address throttle, like
wrong sign-in codes.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import Invitation, Tenant, User
from server.security import token_hash
from server.services import audit, failures, throttle
from server.services.admin_invitations import inviter_still_entitled
from server.services.auth import create_account, email_taken


def _invitation_invalid() -> ApiError:
    # One answer for unknown, used and expired codes: the holder of a real code learns
    # nothing new, a guesser learns nothing at all.
    return ApiError(410, "invitation_invalid", "This invitation code is not valid.",
                    "Invitations work once and for 7 days. If you already accepted it, sign in; "
                    "otherwise ask your administrator to invite you again.")


async def _valid_invitation(db: AsyncSession, runtime, token: str, client_addr: str | None):
    """-> (invitation, tenant) for a pending, unexpired invitation, else 410."""
    clock = runtime.clock
    held = await throttle.reserve(db, clock, throttle.address(client_addr))
    found = (
        await db.execute(
            select(Invitation, Tenant, inviter_still_entitled()).join(Tenant, Tenant.id == Invitation.tenant_id)
            .where(Invitation.token_hash == token_hash(token))
        )
    ).first()
    if found is not None and found[0].accepted_at is None and found[0].expires_at > clock.now() and found[2]:
        await throttle.release(db, held)
        return found[0], found[1]
    invitation = found[0] if found else None
    reason = ("unknown" if invitation is None else "used" if invitation.accepted_at
              else "expired" if invitation.expires_at <= clock.now() else "inviter_not_entitled")
    await failures.keep_counted(db, clock, "invitation.rejected",
                                tenant_id=invitation.tenant_id if invitation else None, client_addr=client_addr,
                                target=f"invitation:{invitation.id}" if invitation else None,
                                detail={"reason": reason})
    raise _invitation_invalid()


async def preview(db: AsyncSession, runtime, token: str, client_addr: str | None) -> tuple[Invitation, Tenant]:
    """Whom the invitation is for, so the console can show it before asking for a password.
    An address that has a verified account by now is said at once (409 `email_taken`);
    an unverified one is replaced on accepting (services/auth.create_account)."""
    invitation, tenant = await _valid_invitation(db, runtime, token, client_addr)
    if (await db.execute(select(User.id).where(User.email == invitation.email,
                                               User.email_verified_at.is_not(None)))).first():
        raise email_taken()
    return invitation, tenant


async def accept(db: AsyncSession, runtime, *, token: str, full_name: str, password: str,
                 client_addr: str | None) -> User:
    """Create the invited account (role from the invitation, e-mail verified) -> the user."""
    invitation, tenant = await _valid_invitation(db, runtime, token, client_addr)
    await db.commit()  # end the read: SQLite's write lock must not be held while argon2 runs
    user = await create_account(db, runtime, email=invitation.email, password=password, full_name=full_name,
                                tenant=tenant, role=invitation.role, verified=True)
    now = runtime.clock.now()
    taken = await db.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.expires_at > now,
               inviter_still_entitled())
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # used, replaced, expired or its inviter demoted while the password was hashed
        raise _invitation_invalid()  # rolls the new user back
    await audit.record(db, runtime.clock, "invitation.accepted", tenant_id=tenant.id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}",
                       detail={"invitation": invitation.id, "role": invitation.role,
                               "invited_by": invitation.invited_by})
    return user
