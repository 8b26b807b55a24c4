"""Forgotten and changed passwords.

Forgot: one mail with a 6-digit code and a link token (both stored as digests, like the
e-mail verification), single use, 15 minutes, at most 10 mails a day to one address and
one a minute; the answer is the same whether or not the account exists, and the mail is
sent after the response, so the time taken is the same too.

Reset: the code (or link) proves the mailbox; an account with an authenticator must also
prove it (TOTP or a recovery code), so a mailbox alone never bypasses the second factor.
Every failure is counted and committed before the error (services/failures). On success
every session and seat of the user ends and a notification mail says so.

Change (signed in): current password + second factor when enrolled; the other sessions end.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import LoginSession, PasswordReset, Seat, Tenant, User, new_id
from server.security import constant_time_equal, new_numeric_code, new_opaque_token, token_hash
from server.services import audit, failures, mfa, throttle
from server.services.links import public_link
from server.services.mail import OutgoingMail
from server.services.passwords import check_password_policy, passwords_for
from server.services.sessions import revoke_session
from server.services.tokens import IssuedTokens, open_session

CODE_TTL = timedelta(minutes=15)
MAX_WRONG_CODES = 5
RESEND_COOLDOWN = timedelta(seconds=60)
RESETS_PER_DAY = 10


def _mails_to(email: str) -> list[throttle.Limit]:
    return [throttle.Limit(f"reset-mail:{email}", RESETS_PER_DAY, timedelta(days=1))]


def _wrong_codes(email: str, client_addr: str | None) -> list[throttle.Limit]:
    # Its own key, like e-mail codes: guessing a reset code must not lock the owner's sign-in.
    return [throttle.Limit(f"reset:{email}", throttle.VERIFY_LIMIT)] + throttle.address(client_addr)


def _code_hash(runtime, row_id: str, code: str) -> str:
    return runtime.code_mac.digest(row_id, code)


async def forgot(db: AsyncSession, runtime, email: str, client_addr: str | None) -> OutgoingMail | None:
    """A reset mail for a verified, enabled account, unless one went out < 60 s ago or 10
    today. The caller answers 202 in every case; only the client address's own limit (shared
    with sign-ups and verification re-sends) is said (429)."""
    await throttle.reserve(db, runtime.clock, throttle.signups(client_addr), title=throttle.TOO_MANY_SIGNUPS)
    user = (await db.execute(select(User).where(User.email == email, User.email_verified_at.is_not(None))
                             .with_for_update())).scalar_one_or_none()
    if user is None or user.email_verified_at is None or user.disabled:
        return None
    now = runtime.clock.now()
    last = (await db.execute(
        select(PasswordReset.created_at).where(PasswordReset.user_id == user.id)
        .order_by(PasswordReset.created_at.desc()).limit(1)
    )).scalar_one_or_none()
    if last is not None and now - last < RESEND_COOLDOWN:
        return None
    if await throttle.try_reserve(db, runtime.clock, _mails_to(email)) is None:
        return None
    await _supersede(db, user.id, now)
    code, link_token, row_id = new_numeric_code(6), new_opaque_token(), new_id()
    db.add(PasswordReset(id=row_id, user_id=user.id, code_hash=_code_hash(runtime, row_id, code),
                         token_hash=token_hash(link_token), created_at=now, expires_at=now + CODE_TTL))
    await audit.record(db, runtime.clock, "auth.password_reset_requested", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}")
    link = public_link(runtime.settings, "reset", link_token)
    body = (
        f"Someone (hopefully you) asked to reset the password of your CODITECT account {user.email}.\n\n"
        f"Your password reset code is: {code[:3]} {code[3:]}\n\n"
        "Or paste this link into CODITECT Console, where it asks for the code:\n"
        f"{link}\n\n"
        f"The code and the link work once, for {int(CODE_TTL.total_seconds() // 60)} minutes.\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    return OutgoingMail(to=user.email, subject="Your CODITECT password reset code", body=body)


async def _supersede(db: AsyncSession, user_id: str, now) -> None:
    await db.execute(
        update(PasswordReset).where(PasswordReset.user_id == user_id, PasswordReset.consumed_at.is_(None))
        .values(consumed_at=now).execution_options(synchronize_session=False)
    )


def _invalid_code() -> ApiError:
    # One answer for unknown address, wrong, used, burnt or expired code or link.
    return ApiError(400, "invalid_code", "This code is not valid.",
                    "Check the code in the latest mail, or ask for a new one.")


async def _find_reset(db: AsyncSession, runtime, email: str, code: str | None, link_token: str | None):
    """-> (row, user, right) for the live reset of `email` (None when there is none)."""
    now = runtime.clock.now()
    query = (select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
             .where(User.email == email, PasswordReset.consumed_at.is_(None), PasswordReset.expires_at > now))
    if link_token is not None:
        query = query.where(PasswordReset.token_hash == token_hash(link_token))
    found = (await db.execute(query.order_by(PasswordReset.created_at.desc()).limit(1).with_for_update())).first()
    if found is None:
        return None, None, False
    row, user = found
    right = link_token is not None or constant_time_equal(
        row.code_hash, _code_hash(runtime, row.id, (code or "").replace(" ", "").strip()))
    return row, user, right


async def reset(db: AsyncSession, runtime, *, email: str, code: str | None, link_token: str | None,
                new_password: str, totp_code: str | None, recovery_code: str | None, device_name: str,
                hardware_id: str | None, client_addr: str | None) -> tuple[IssuedTokens, OutgoingMail]:
    """-> (tokens of a new session, notification mail to send after commit)."""
    clock = runtime.clock
    held = await throttle.reserve(db, clock, _wrong_codes(email, client_addr))
    row, user, right = await _find_reset(db, runtime, email, code, link_token)
    if not right or user.disabled:
        if row is not None:
            row.failed_attempts += 1
            if row.failed_attempts >= MAX_WRONG_CODES:
                row.consumed_at = clock.now()
        await failures.keep_counted(db, clock, "auth.password_reset_failed",
                                    tenant_id=user.tenant_id if user else None, actor=user,
                                    client_addr=client_addr, target=f"email:{email}", detail={"reason": "code"})
        raise _invalid_code()
    # The mailbox is proven: the attempt is given back; the code stays usable until it is spent.
    await throttle.release(db, held)
    await db.commit()
    tenant = await db.get(Tenant, user.tenant_id)
    check_password_policy(new_password, email=email, context=(user.full_name, tenant.name if tenant else ""))
    amr = ["pwd"]
    if user.totp_secret_enc:
        amr.append(await _second_factor(db, runtime, user, totp_code, recovery_code, client_addr))
    await db.commit()  # before argon2: SQLite's write lock must not be held while it runs
    password_hash = await passwords_for(runtime.settings).hash(new_password)
    row, user, right = await _find_reset(db, runtime, email, code, link_token)
    if not right:  # spent by a concurrent request while the password was hashed
        raise _invalid_code()
    now = clock.now()
    user.password_hash = password_hash
    await _supersede(db, user.id, now)
    await end_sessions_and_seats(db, clock, user, reason="password_reset", client_addr=client_addr)
    await audit.record(db, clock, "auth.password_reset", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}", detail={"amr": amr})
    tokens = await open_session(db, runtime, user, amr=amr, device_name=device_name,
                                hardware_id=hardware_id, client_addr=client_addr)
    return tokens, _changed_mail(user, "reset", everywhere=True)


async def _second_factor(db: AsyncSession, runtime, user: User, totp_code, recovery_code, client_addr) -> str:
    """Prove the authenticator (or spend a recovery code), counted like a sign-in's."""
    if totp_code is None and recovery_code is None:
        raise ApiError(403, "mfa_required", "This account has an authenticator app.",
                       "Type the code it shows now, or one of your recovery codes.")
    held = await throttle.reserve(db, runtime.clock, throttle.sign_in(user.email, client_addr))
    try:
        method = await mfa.prove_second_factor(db, runtime, user, code=totp_code, recovery_code=recovery_code,
                                               client_addr=client_addr)
    except ApiError as error:
        await failures.keep_counted(db, runtime.clock, "auth.login_failed", tenant_id=user.tenant_id, actor=user,
                                    client_addr=client_addr, target=f"email:{user.email}",
                                    detail={"reason": error.code})
        raise
    await throttle.release(db, held)
    return method


async def end_sessions_and_seats(db: AsyncSession, clock, user: User, *, reason: str, client_addr,
                                 keep_session_id: str | None = None) -> int:
    """End every live session of `user` (but `keep_session_id`) and every seat not held by it."""
    sessions = (await db.execute(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
    )).scalars().all()
    ended = 0
    for session in sessions:
        if session.id != keep_session_id:
            await revoke_session(db, clock, session, reason=reason, actor=user, client_addr=client_addr)
            ended += 1
    seats = update(Seat).where(Seat.user_id == user.id, Seat.released_at.is_(None))
    if keep_session_id is not None:
        seats = seats.where((Seat.session_id.is_(None)) | (Seat.session_id != keep_session_id))
    await db.execute(seats.values(released_at=clock.now(), released_reason=reason[:32])
                     .execution_options(synchronize_session=False))
    return ended


def _changed_mail(user: User, how: str, *, everywhere: bool) -> OutgoingMail:
    ended = ("Every device signed in to it was signed out." if everywhere
             else "Your other devices were signed out; the one you changed it on stays signed in.")
    body = (
        f"The password of your CODITECT account {user.email} was {how}.\n\n"
        f"{ended}\n\n"
        "If this was not you, reset your password at once (\"Forgot your password?\" on the sign-in "
        "screen) and tell your administrator.\n"
    )
    return OutgoingMail(to=user.email, subject="Your CODITECT password was changed", body=body)


async def change(db: AsyncSession, runtime, principal, *, current_password: str, new_password: str,
                 totp_code: str | None, recovery_code: str | None, client_addr: str | None) -> OutgoingMail:
    """Signed in: the current password (+ second factor when enrolled) -> a new password."""
    user, clock = principal.user, runtime.clock
    tenant = await db.get(Tenant, user.tenant_id)
    check_password_policy(new_password, email=user.email, context=(user.full_name, tenant.name if tenant else ""))
    held = await throttle.reserve(db, clock, throttle.sign_in(user.email, client_addr))
    await db.commit()  # the attempt counts from now on; argon2 runs outside the transaction
    hasher = passwords_for(runtime.settings)
    if not await hasher.verify(user.password_hash, current_password):
        await failures.keep_counted(db, clock, "auth.login_failed", tenant_id=user.tenant_id, actor=user,
                                    client_addr=client_addr, target=f"email:{user.email}",
                                    detail={"reason": "password"})
        raise ApiError(403, "wrong_password", "The current password is not right.",
                       "Type the password you signed in with.")
    await throttle.release(db, held)
    await db.commit()
    if user.totp_secret_enc:
        await _second_factor(db, runtime, user, totp_code, recovery_code, client_addr)
        await db.commit()
    password_hash = await hasher.hash(new_password)
    await db.execute(update(User).where(User.id == user.id).values(password_hash=password_hash)
                     .execution_options(synchronize_session=False))
    user.password_hash = password_hash
    ended = await end_sessions_and_seats(db, clock, user, reason="password_changed", client_addr=client_addr,
                                         keep_session_id=principal.session.id)
    await audit.record(db, clock, "auth.password_changed", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}", detail={"sessions_ended": ended})
    return _changed_mail(user, "changed", everywhere=False)
