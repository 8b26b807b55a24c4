"""Admin management of the tenant's users: list, change role / disable, reset MFA, invite.

Owner rules (documented in the README): only an owner may grant the owner role, take it
away, disable an owner or reset an owner's MFA, and only an owner acts on an owner's quota,
sessions and seats (TenantScope.require_owner_to_act_on: an admin cannot lock the owners
out); and the tenant always keeps one active owner (`last_owner`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import Invitation, LoginSession, MfaChallenge, RecoveryCode, Tenant, User
from server.schemas.admin import UserPatch
from server.security import new_opaque_token, token_hash
from server.services import throttle
from server.services.admin_sessions import revoke_all_of_user
from server.services.mail import OutgoingMail, quoted_name
from server.services.paging import decode_cursor, page_of
from server.services.tenancy import TenantScope

INVITATION_TTL = timedelta(days=7)


async def list_users(
    db: AsyncSession, scope: TenantScope, *, cursor: str | None, limit: int,
) -> tuple[list[tuple[User, object]], str | None]:
    """-> ([(user, last login time or None)], next cursor), by e-mail."""
    last_login = (
        select(func.max(LoginSession.created_at)).where(LoginSession.user_id == User.id).scalar_subquery()
    )
    stmt = scope.scoped(select(User, last_login), User)
    if cursor:
        (after,) = decode_cursor(cursor, str)
        stmt = stmt.where(User.email > after)
    rows = list((await db.execute(stmt.order_by(User.email).limit(limit + 1))).all())
    rows, next_cursor = page_of(rows, limit, lambda row: (row[0].email,))
    return [(user, at) for user, at in rows], next_cursor


async def update_user(db: AsyncSession, clock, scope: TenantScope, user_id: str, patch: UserPatch) -> User:
    # Serialise role changes within a tenant, so that two owners demoting each other at the
    # same moment cannot both succeed (PostgreSQL row lock; SQLite's write lock is taken
    # at BEGIN IMMEDIATE already).
    await db.execute(select(Tenant.id).where(Tenant.id == scope.tenant_id).with_for_update())
    user = await scope.get_scoped(db, User, user_id)
    role = patch.role if patch.role is not None else user.role
    disabled = patch.disabled if patch.disabled is not None else user.disabled
    changes = {}
    if role != user.role:
        changes["role"] = [user.role, role]
    if disabled != user.disabled:
        changes["disabled"] = [user.disabled, disabled]
    if not changes:
        return user
    if "owner" in (user.role, role):
        _require_owner(scope, "grant, remove or disable the owner role")
    if user.role == "owner" and not user.disabled and (role != "owner" or disabled):
        await _ensure_another_owner(db, scope, user)
    user.role, user.disabled = role, disabled
    await scope.audit(db, clock, "user.updated", target=f"user:{user.id}", detail=changes)
    if disabled and "disabled" in changes:
        await revoke_all_of_user(db, clock, scope, user.id, reason="account_disabled")
    return user


async def reset_mfa(db: AsyncSession, clock, scope: TenantScope, user_id: str) -> None:
    """Clear the authenticator and recovery codes; the user enrolls again at the next sign-in.
    Every session is ended, since they were opened with the old factor."""
    user = await scope.get_scoped(db, User, user_id)
    if user.role == "owner":
        _require_owner(scope, "reset an owner's authenticator")
    user.totp_secret_enc = user.totp_pending_secret_enc = None
    user.totp_enrolled_at = user.totp_last_step = None
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await db.execute(delete(MfaChallenge).where(MfaChallenge.user_id == user.id))
    await scope.audit(db, clock, "user.mfa_reset", target=f"user:{user.id}")
    await revoke_all_of_user(db, clock, scope, user.id, reason="mfa_reset")


async def invite(db: AsyncSession, clock, scope: TenantScope, *, email: str, role: str
                 ) -> tuple[Invitation, OutgoingMail]:
    """-> (invitation, its mail to send after commit). Throttled per tenant (20 an hour,
    100 a day), counted before anything about the address is looked at. The answer is the
    same for every address: one that has an account already gets a mail saying so instead
    of a code (nobody can accept that invitation), so an admin cannot probe which addresses
    have accounts. An address whose account is still unverified may be invited."""
    if role == "owner":
        _require_owner(scope, "invite an owner")
    await throttle.reserve(db, clock, throttle.invitations(scope.tenant_id),
                           title="Too many invitations from this organization.")
    taken = (await db.execute(select(User.id).where(User.email == email,
                                                   User.email_verified_at.is_not(None)))).first() is not None
    # A new invitation replaces any pending one for the same address.
    await db.execute(delete(Invitation).where(
        Invitation.tenant_id == scope.tenant_id, Invitation.email == email, Invitation.accepted_at.is_(None),
    ))
    now = clock.now()
    token = new_opaque_token()
    invitation = Invitation(
        tenant_id=scope.tenant_id, email=email, role=role, token_hash=token_hash(token),
        invited_by=scope.actor.id, created_at=now, expires_at=now + INVITATION_TTL,
    )
    db.add(invitation)
    await db.flush()
    await scope.audit(db, clock, "user.invited", target=f"invitation:{invitation.id}",
                      detail={"email": email, "role": role})
    tenant_name = (await db.execute(select(Tenant.name).where(Tenant.id == scope.tenant_id))).scalar_one()
    names = {"inviter_name": scope.actor.full_name or scope.actor.email, "inviter_email": scope.actor.email,
             "tenant_name": tenant_name, "role": role}
    # Names typed by users stay out of the Subject (a header); the body quotes them.
    if taken:
        return invitation, OutgoingMail(to=email, subject="You are invited to CODITECT",
                                        body=_already_registered_body(**names))
    return invitation, OutgoingMail(to=email, subject="You are invited to CODITECT", body=_invitation_body(
        **names, token=token, expires_at=invitation.expires_at,
    ))


def _invitation_body(*, inviter_name: str, inviter_email: str, tenant_name: str, role: str, token: str,
                     expires_at) -> str:
    # The address is not verified by anyone yet: names typed by the inviting side appear
    # only short and quoted, as names (services/mail.quoted_name).
    return (
        f"You are invited to join an organization on CODITECT as {role}.\n\n"
        f"  Organization: {quoted_name(tenant_name)}\n"
        f"  Invited by:   {quoted_name(inviter_name)} <{inviter_email}>\n\n"
        "To accept:\n"
        "  1. Open CODITECT Console (run `coditect-console` in a terminal).\n"
        "  2. Choose \"I have an invitation\" (key i).\n"
        "  3. Paste this invitation code:\n\n"
        f"    {token}\n\n"
        "  4. Check the organization and e-mail address shown, then choose your name and password.\n\n"
        f"The code works once, until {expires_at:%Y-%m-%d %H:%M} UTC. "
        "If you did not expect this invitation, ignore this message.\n"
    )


def _already_registered_body(*, inviter_name: str, inviter_email: str, tenant_name: str, role: str) -> str:
    """To an address that has an account already: the invitee learns it, the inviter
    (who got the same answer as for any address) does not."""
    return (
        f"You were invited to join an organization on CODITECT as {role}.\n\n"
        f"  Organization: {quoted_name(tenant_name)}\n"
        f"  Invited by:   {quoted_name(inviter_name)} <{inviter_email}>\n\n"
        "This address already has a CODITECT account, and an account belongs to one organization, "
        "so this invitation cannot be accepted with it. If you want to join, ask the person who "
        "invited you to invite another of your addresses. Otherwise, ignore this message; "
        "nothing has changed in your account.\n"
    )


def _require_owner(scope: TenantScope, what: str) -> None:
    scope.require_owner(what)


async def _ensure_another_owner(db: AsyncSession, scope: TenantScope, user: User) -> None:
    others = (
        await db.execute(
            scope.scoped(select(func.count()).select_from(User), User)
            .where(User.role == "owner", User.disabled.is_(False), User.id != user.id)
        )
    ).scalar_one()
    if not others:
        raise ApiError(409, "last_owner", "This is the organization's last owner: make someone else owner first.")
