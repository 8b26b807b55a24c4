"""Registration, login (password, then the second factor), refresh-token rotation.

Every password or second-factor attempt is reserved in the throttle (services/throttle)
before it is checked and given back when it succeeds; a failure keeps it and is audited,
committed *before* the error is raised, because raising rolls the transaction back.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import LoginSession, MfaChallenge, RefreshToken, Tenant, User, new_id
from server.security import new_opaque_token, token_hash
from server.services import audit, devices, email_verification, failures, mfa, registrations, throttle
from server.services.licenses import create_free_license
from server.services.passwords import check_password_policy, passwords_for
from server.services.sessions import revoke_session
from server.services.tokens import (
    IssuedTokens, access_token_for, new_refresh_token, open_session, tenant_primary_license,
)

MFA_TOKEN_TTL = timedelta(minutes=5)
MAX_WRONG_MFA_CODES = 5


def email_taken() -> ApiError:
    return ApiError(409, "email_taken", "An account with this e-mail address exists.",
                    "Sign in instead, or use another address.")


async def create_account(db: AsyncSession, runtime, *, email: str, password: str, full_name: str,
                         tenant: Tenant, role: str, verified: bool) -> User:
    """Insert a user after the password policy; shared by registration, invitations and
    create-user. Pending registrations of the address do not hold it: they coexist with a
    new one (services/registrations), and an account created verified replaces them."""
    check_password_policy(password, email=email, context=(full_name, tenant.name))
    # Hash before the first statement: on SQLite the transaction holds the one write
    # lock from its first statement on, and argon2 is slow on purpose.
    password_hash = await passwords_for(runtime.settings).hash(password)
    if await registrations.verified_account(db, email) is not None:
        raise email_taken()
    if verified:
        for pending in await registrations.pending(db, email):
            await registrations.discard_pending_account(db, runtime, pending)
    now = runtime.clock.now()
    user = User(
        tenant_id=tenant.id, email=email, full_name=full_name.strip(), role=role, created_at=now,
        password_hash=password_hash, email_verified_at=now if verified else None,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:  # a concurrent registration of the same address won
        raise email_taken() from None
    return user


async def register(db: AsyncSession, runtime, *, email: str, password: str, full_name: str,
                   organization: str, client_addr: str | None):
    """-> (user, registration handle, verification mail to send after commit). Every attempt counts towards the
    client address's sign-up limit (each may mail someone)."""
    await throttle.reserve(db, runtime.clock, throttle.signups(client_addr), title=throttle.TOO_MANY_SIGNUPS)
    await db.commit()  # before argon2, as in login
    tenant = Tenant(id=new_id(), name=organization.strip(), created_at=runtime.clock.now())
    db.add(tenant)  # flushed with the user, after the password is hashed
    user = await create_account(db, runtime, email=email, password=password, full_name=full_name,
                                tenant=tenant, role="owner", verified=False)
    again = len(await registrations.pending(db, email)) > 1
    handle = registrations.new_handle(runtime, user)
    await throttle.reserve_mail_to(db, runtime.clock, email)
    await create_free_license(db, runtime.clock, tenant.id)
    await audit.record(db, runtime.clock, "auth.registered", tenant_id=tenant.id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}", detail={"again": again})
    return user, handle, await email_verification.issue(db, runtime, user, again=again)


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "The e-mail address or the password is not right.")


async def _count_failure(db: AsyncSession, runtime, *, email: str, user: User | None, client_addr, reason: str):
    """The reserved attempt stays counted (committed first, on its own); then it is audited."""
    await failures.keep_counted(db, runtime.clock, "auth.login_failed", tenant_id=user.tenant_id if user else None,
                                actor=user, client_addr=client_addr, target=f"email:{email}",
                                detail={"reason": reason})


async def login(db: AsyncSession, runtime, *, email: str, password: str, device_name: str,
                hardware_id: str | None, client_addr: str | None, device_token: str | None = None
                ) -> IssuedTokens | str:
    """-> tokens, or an MFA token (str) when the account has a second factor. A known
    device (services/devices) is throttled under its own credential only."""
    candidates = await registrations.sign_in_candidates(db, email)
    device = await devices.known_device(db, runtime.clock, candidates, device_token)
    held = await throttle.reserve(db, runtime.clock, devices.sign_in_limits(email, device, client_addr))
    await db.commit()  # the attempt counts from now on; other requests use the database while argon2 runs
    hasher = passwords_for(runtime.settings)
    user = await registrations.match_password(hasher, candidates, password)
    if user is None:
        user = candidates[0] if candidates else None
        await _count_failure(db, runtime, email=email, user=user, client_addr=client_addr, reason="password")
        raise _invalid_credentials()
    # The password is right: the attempt is given back, whatever is answered next
    # (committed now, since the refusals below roll back).
    await throttle.release(db, held)
    await db.commit()
    # From here on, answers may depend on the account.
    if user.disabled:
        raise ApiError(403, "account_disabled", "This account is disabled.", "Ask your administrator.")
    if user.email_verified_at is None:
        raise registrations.not_verified(runtime, user)
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = await hasher.hash(password)
    if user.totp_secret_enc:
        mfa_token = new_opaque_token()
        now = runtime.clock.now()
        db.add(MfaChallenge(user_id=user.id, token_hash=token_hash(mfa_token), created_at=now,
                            expires_at=now + MFA_TOKEN_TTL, device_name=device_name[:200], hardware_id=hardware_id))
        return mfa_token
    return await _open(db, runtime, user, ["pwd"], device_name, hardware_id, client_addr)


async def _open(db, runtime, user: User, amr: list[str], device_name, hardware_id, client_addr) -> IssuedTokens:
    tokens = await open_session(db, runtime, user, amr=amr, device_name=device_name,
                                hardware_id=hardware_id, client_addr=client_addr)
    await audit.record(db, runtime.clock, "auth.login", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"session:{tokens.session_id}", detail={"amr": amr})
    return tokens


def _mfa_token_invalid() -> ApiError:
    return ApiError(401, "mfa_token_invalid", "This sign-in attempt has expired.",
                    "Sign in again with your e-mail address and password.")


async def complete_mfa(db: AsyncSession, runtime, *, mfa_token: str, code: str | None, recovery_code: str | None,
                       client_addr: str | None, device_token: str | None = None) -> IssuedTokens:
    now = runtime.clock.now()
    found = (
        await db.execute(
            select(MfaChallenge, User).join(User, User.id == MfaChallenge.user_id)
            .where(MfaChallenge.token_hash == token_hash(mfa_token)).with_for_update()
        )
    ).first()
    if found is None:
        raise _mfa_token_invalid()
    challenge, user = found
    if challenge.consumed_at is not None or challenge.expires_at <= now or user.disabled:
        raise _mfa_token_invalid()
    device = await devices.known_device(db, runtime.clock, user, device_token)
    held = await throttle.reserve(db, runtime.clock, devices.sign_in_limits(user.email, device, client_addr))
    try:
        method = await mfa.prove_second_factor(db, runtime, user, code=code, recovery_code=recovery_code,
                                               client_addr=client_addr)
    except ApiError as error:
        challenge.failed_attempts += 1
        if challenge.failed_attempts >= MAX_WRONG_MFA_CODES:
            challenge.consumed_at = now
        await _count_failure(db, runtime, email=user.email, user=user, client_addr=client_addr, reason=error.code)
        raise
    await throttle.release(db, held)
    challenge.consumed_at = now
    return await _open(db, runtime, user, ["pwd", method], challenge.device_name, challenge.hardware_id,
                       client_addr)


async def prove_factor_or_fail(db: AsyncSession, runtime, user: User, *, code, recovery_code, client_addr) -> None:
    """A signed-in user proves their current second factor (re-enrollment, new recovery codes)."""
    held = await throttle.reserve(db, runtime.clock, throttle.sign_in(user.email, client_addr))
    try:
        await mfa.prove_second_factor(db, runtime, user, code=code, recovery_code=recovery_code,
                                      client_addr=client_addr)
    except ApiError as error:
        await _count_failure(db, runtime, email=user.email, user=user, client_addr=client_addr, reason=error.code)
        raise
    await throttle.release(db, held)


def _refresh_invalid(code: str = "refresh_invalid", title: str = "Sign in again.") -> ApiError:
    return ApiError(401, code, title, headers={"WWW-Authenticate": "Bearer"})


async def refresh(db: AsyncSession, runtime, refresh_token: str, client_addr: str | None) -> IssuedTokens:
    """Rotate: the presented token dies, a new one is returned. A token that was already
    rotated means it was copied: the whole session is revoked."""
    now = runtime.clock.now()
    found = (
        await db.execute(
            select(RefreshToken, LoginSession, User)
            .join(LoginSession, LoginSession.id == RefreshToken.session_id)
            .join(User, User.id == LoginSession.user_id)
            .where(RefreshToken.token_hash == token_hash(refresh_token))
        )
    ).first()
    if found is None:
        raise _refresh_invalid()
    token, session, user = found
    if session.revoked_at is not None:
        raise _refresh_invalid("session_revoked", "This session was signed out. Sign in again.")
    if session.expires_at <= now:
        raise _refresh_invalid("refresh_expired", "Your sign-in has expired. Sign in again.")
    if user.disabled:
        raise _refresh_invalid("account_disabled", "This account is disabled.")
    rotated = await db.execute(
        update(RefreshToken).where(RefreshToken.id == token.id, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=now).execution_options(synchronize_session=False)
    )
    if rotated.rowcount == 0:
        await audit.record(db, runtime.clock, "auth.refresh_reused", tenant_id=session.tenant_id, actor=user,
                           client_addr=client_addr, target=f"session:{session.id}")
        await revoke_session(db, runtime.clock, session, reason="refresh_reused", client_addr=client_addr)
        await db.commit()
        raise _refresh_invalid("refresh_reused", "This sign-in was used elsewhere, so it was ended. Sign in again.")
    session.last_seen_at = now
    new_refresh = await new_refresh_token(db, runtime, session)
    access, ttl = await access_token_for(db, runtime, user, session)
    return IssuedTokens(access_token=access, refresh_token=new_refresh, expires_in=ttl, session_id=session.id)


async def begin_enrollment(db: AsyncSession, runtime, user: User, *, code: str | None, recovery_code: str | None,
                           client_addr: str | None) -> tuple[str, str]:
    """-> (secret, otpauth URI). Replacing an enrolled authenticator needs the current one."""
    if user.totp_secret_enc:
        if code is None and recovery_code is None:
            raise ApiError(403, "mfa_proof_required", "Confirm with your current authenticator first.",
                           "Send a code from your authenticator app, or a recovery code.")
        await prove_factor_or_fail(db, runtime, user, code=code, recovery_code=recovery_code,
                                   client_addr=client_addr)
    return await mfa.start_enrollment(db, runtime, user)


async def finish_enrollment(db: AsyncSession, runtime, user: User, session: LoginSession, code: str,
                            client_addr: str | None) -> list[str]:
    """Confirm the pending secret -> recovery codes. The confirming session has now shown
    the second factor, so it counts as an MFA session from its next access token on."""
    try:
        codes = await mfa.confirm_enrollment(db, runtime, user, code, client_addr=client_addr)
    except ApiError:
        await db.commit()  # keeps a code-reuse audit event
        raise
    if "otp" not in session.amr.split():
        session.amr = "pwd otp"
    return codes


async def regenerate_recovery_codes(db: AsyncSession, runtime, user: User, *, code: str | None,
                                    recovery_code: str | None, client_addr: str | None) -> list[str]:
    if not user.totp_secret_enc:
        raise ApiError(409, "mfa_not_enrolled", "Set up an authenticator app first.")
    await prove_factor_or_fail(db, runtime, user, code=code, recovery_code=recovery_code, client_addr=client_addr)
    codes = await mfa.new_recovery_codes(db, runtime, user)
    await audit.record(db, runtime.clock, "mfa.recovery_codes_regenerated", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}")
    return codes


async def account_summary(db: AsyncSession, clock, user: User):
    """-> (tenant, primary license or None), for GET /auth/me."""
    tenant = await db.get(Tenant, user.tenant_id)
    return tenant, await tenant_primary_license(db, user.tenant_id, clock.now())
