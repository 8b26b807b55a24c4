"""E-mail verification: one mail with a 6-digit code and a link token.

Both are stored only as digests. The code has just 20 bits, so it is stored as an HMAC
keyed with a server secret kept outside the database (keys.CodeMac) and salted with the
row's random id; the row dies after 15 minutes, on use, after 5 wrong codes, or when a
newer code is sent. Wrong codes are throttled per client address and per address being
verified, and at most 10 codes an hour are mailed to one address.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import EmailVerification, User, new_id
from server.security import constant_time_equal, new_numeric_code, new_opaque_token, token_hash
from server.services import audit, registrations, throttle
from server.services.passwords import passwords_for
from server.services.links import open_or_paste, public_link
from server.services.mail import OutgoingMail, quoted_name

CODE_TTL = timedelta(minutes=15)
MAX_WRONG_CODES = 5
RESEND_COOLDOWN = timedelta(seconds=60)


def _code_hash(runtime, row_id: str, code: str) -> str:
    return runtime.code_mac.digest(row_id, code)


async def issue(db: AsyncSession, runtime, user: User, *, again: bool = False) -> OutgoingMail:
    """A new code + link for `user`; every older one stops working. The caller has counted
    it under `throttle.codes_mailed`. `again`: another registration of the address is pending."""
    now = runtime.clock.now()
    await db.execute(
        update(EmailVerification)
        .where(EmailVerification.user_id == user.id, EmailVerification.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    code, link_token, row_id = new_numeric_code(6), new_opaque_token(), new_id()
    db.add(EmailVerification(
        id=row_id, user_id=user.id, code_hash=_code_hash(runtime, row_id, code), token_hash=token_hash(link_token),
        created_at=now, expires_at=now + CODE_TTL,
    ))
    link = public_link(runtime.settings, "verify", link_token)
    warning = (
        "Someone registered this address again, while an earlier registration of it is still "
        "waiting for its code. This code verifies only the registration made just now; the first "
        "registration verified keeps the address. If you did not register twice, ignore this mail.\n\n"
    ) if again else ""
    body = (
        f"{warning}Hello,\n\n"
        f"Your CODITECT verification code is: {code[:3]} {code[3:]}\n\n"
        f"{open_or_paste(runtime.settings, 'verify your e-mail address')}\n{link}\n\n"
        f"The code and the link work once, for {int(CODE_TTL.total_seconds() // 60)} minutes.\n"
        # The name was typed by whoever registered, perhaps not the owner of this mailbox:
        # quoted and short, never free text of theirs.
        f"The account was registered under the name {quoted_name(user.full_name)}.\n"
        "If you did not create a CODITECT account, ignore this mail.\n"
    )
    return OutgoingMail(to=user.email, subject="Your CODITECT verification code", body=body)


def _invalid_code() -> ApiError:
    # One answer for unknown address, wrong, used, burnt or expired code: no enumeration.
    return ApiError(400, "invalid_code", "This code is not valid.",
                    "Check the code in the latest mail, or ask for a new one.")


async def _mark_verified(db: AsyncSession, runtime, user: User, row: EmailVerification, client_addr, via: str):
    now = runtime.clock.now()
    row.consumed_at = now
    if user.email_verified_at is None:
        user.email_verified_at = now
    await audit.record(db, runtime.clock, "auth.email_verified", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}", detail={"via": via})


async def verify_code(db: AsyncSession, runtime, email: str, code: str, handle: str,
                      client_addr: str | None) -> None:
    clock = runtime.clock
    held = await throttle.reserve(db, clock, throttle.email_code(email, client_addr))
    await registrations.lock_address(db, email)
    now = clock.now()
    code = code.replace(" ", "").strip()
    found = (
        await db.execute(
            select(EmailVerification, User)
            .join(User, User.id == EmailVerification.user_id)
            .where(User.email == email, User.registration_handle_hash == token_hash(handle),
                   EmailVerification.consumed_at.is_(None), EmailVerification.expires_at > now)
            .with_for_update()
        )
    ).first()
    if found is not None:
        row, user = found
        if constant_time_equal(row.code_hash, _code_hash(runtime, row.id, code)):
            await throttle.release(db, held)
            await _mark_verified(db, runtime, user, row, client_addr, "code")
            await registrations.won(db, runtime, user, client_addr)
            return
        row.failed_attempts += 1
        if row.failed_attempts >= MAX_WRONG_CODES:
            row.consumed_at = now
    await db.commit()  # keeps the attempt counted
    raise _invalid_code()


async def verify_link(db: AsyncSession, runtime, link_token: str, client_addr: str | None, *,
                      handle: str | None = None, password: str | None = None) -> None:
    """The link verifies its registration for whoever shows that registration's handle (the
    console that made it) or its password (anyone else, e.g. the page a browser opens)."""
    now = runtime.clock.now()
    email = (await db.execute(
        select(User.email).join(EmailVerification, EmailVerification.user_id == User.id)
        .where(EmailVerification.token_hash == token_hash(link_token))
    )).scalar_one_or_none()
    if email is not None:
        await registrations.lock_address(db, email)
    found = (
        await db.execute(
            select(EmailVerification, User)
            .join(User, User.id == EmailVerification.user_id)
            .where(EmailVerification.token_hash == token_hash(link_token))
            .with_for_update()
        )
    ).first()
    if found is None or found[0].consumed_at is not None or found[0].expires_at <= now:
        raise ApiError(400, "invalid_token", "This link is not valid any more.",
                       "Links work once and for 15 minutes. Ask for a new mail.")
    row, user = found
    if not registrations.handle_matches(user, handle):
        if password is None:
            raise ApiError(400, "registration_proof_required", "Type the password of this registration.",
                           "The link verifies the registration it was sent for, for whoever knows its password.")
        held = await throttle.reserve(db, runtime.clock, throttle.email_code(user.email, client_addr))
        await db.commit()  # counted before argon2 runs (and SQLite's write lock is free meanwhile)
        if not await passwords_for(runtime.settings).verify(user.password_hash, password):
            raise ApiError(401, "invalid_credentials", "This is not the password of this registration.",
                           "Type the password you chose when you registered.")
        await throttle.release(db, held)
        await registrations.lock_address(db, user.email)
        found = (await db.execute(
            select(EmailVerification, User).join(User, User.id == EmailVerification.user_id)
            .where(EmailVerification.id == row.id, EmailVerification.consumed_at.is_(None)).with_for_update()
        )).first()
        if found is None:  # used meanwhile
            raise ApiError(400, "invalid_token", "This link is not valid any more.",
                           "Links work once and for 15 minutes. Ask for a new mail.")
        row, user = found
    await _mark_verified(db, runtime, user, row, client_addr, "link")
    await registrations.won(db, runtime, user, client_addr)


async def resend(db: AsyncSession, runtime, email: str, handle: str,
                 client_addr: str | None) -> OutgoingMail | None:
    """A new mail, unless the address is unknown, already verified, asked < 60 s ago or
    mailed 10 codes today. The caller answers 202 in every case; only the client address's
    own limit (shared with registrations) is said (429)."""
    await throttle.reserve(db, runtime.clock, throttle.signups(client_addr), title=throttle.TOO_MANY_SIGNUPS)
    user = (await db.execute(
        select(User).where(User.email == email, User.registration_handle_hash == token_hash(handle)).with_for_update()
    )).scalar_one_or_none()
    if user is None or user.email_verified_at is not None or user.disabled:
        return None
    last = (
        await db.execute(
            select(EmailVerification.created_at)
            .where(EmailVerification.user_id == user.id)
            .order_by(EmailVerification.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is not None and runtime.clock.now() - last < RESEND_COOLDOWN:
        return None
    if await throttle.try_reserve(db, runtime.clock, throttle.codes_mailed(user.email)) is None:
        return None
    return await issue(db, runtime, user)
