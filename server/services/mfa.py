"""TOTP (RFC 6238: SHA1, 6 digits, 30 s, +-1 step) and recovery codes.

A code is accepted once per user: the last accepted time step is stored and moved
forward with a conditional UPDATE, so two racing requests cannot both use one code.
Secrets are encrypted at rest (runtime.secret_box); recovery codes (60 bits) are stored
as an HMAC keyed with a server secret (runtime.code_mac) salted with their row id, and
are single use.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import RecoveryCode, User, new_id
from server.security import constant_time_equal
from server.services import audit

ISSUER = "CODITECT"
STEP_SECONDS = 30
WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower-case


def time_step(now) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_steps(secret_b32: str, code: str, now) -> list[int]:
    """The time steps within +-1 of `now` whose code equals `code` (usually none or one)."""
    code = code.replace(" ", "").strip()
    totp = pyotp.TOTP(secret_b32, digits=6, interval=STEP_SECONDS)
    current = time_step(now)
    return [
        step for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1)
        if constant_time_equal(totp.generate_otp(step), code)
    ]


def otpauth_uri(secret_b32: str, email: str) -> str:
    # Only label, secret and issuer: defaults left out keep the QR code at version 5.
    return f"otpauth://totp/{ISSUER}:{quote(email, safe='@')}?secret={secret_b32}&issuer={ISSUER}"


def invalid_code() -> ApiError:
    return ApiError(401, "invalid_code", "This code is not right.",
                    "Type the 6-digit code your authenticator app shows now.")


async def accept_totp(db: AsyncSession, runtime, user: User, code: str, *, secret_enc: str | None = None,
                      client_addr: str | None = None) -> None:
    """Accept a TOTP code for `user` once, or raise `invalid_code` / `code_reused`.

    `secret_enc` defaults to the enrolled secret (enrollment confirmation passes the pending one)."""
    secret = runtime.secret_box.decrypt(secret_enc or user.totp_secret_enc)
    steps = matching_steps(secret, code, runtime.clock.now())
    if not steps:
        raise invalid_code()
    step = max(steps)
    moved = await db.execute(
        update(User)
        .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount == 0:
        await audit.record(db, runtime.clock, "mfa.code_reused", tenant_id=user.tenant_id, actor=user,
                           client_addr=client_addr, target=f"user:{user.id}")
        raise ApiError(401, "code_reused", "This code was used already.",
                       "Wait for your authenticator app to show the next code.")
    user.totp_last_step = step


def normalize_recovery_code(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _recovery_hash(runtime, row_id: str, code: str) -> str:
    return runtime.code_mac.digest(row_id, normalize_recovery_code(code))


async def new_recovery_codes(db: AsyncSession, runtime, user: User) -> list[str]:
    """Replace the user's recovery codes with 10 fresh ones (shown once)."""
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        row_id = new_id()
        db.add(RecoveryCode(id=row_id, user_id=user.id, code_hash=_recovery_hash(runtime, row_id, code),
                            created_at=runtime.clock.now()))
        codes.append(code)
    return codes


async def use_recovery_code(db: AsyncSession, runtime, user: User, code: str, *,
                            client_addr: str | None = None) -> None:
    """Spend one recovery code, or raise `invalid_code`."""
    rows = (
        await db.execute(select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
    ).scalars().all()
    now = runtime.clock.now()
    for row in rows:
        if constant_time_equal(row.code_hash, _recovery_hash(runtime, row.id, code)):
            spent = await db.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False)
            )
            if spent.rowcount == 1:
                await audit.record(db, runtime.clock, "mfa.recovery_code_used", tenant_id=user.tenant_id,
                                   actor=user, client_addr=client_addr, target=f"user:{user.id}",
                                   detail={"remaining": len(rows) - 1})
                return
    raise ApiError(401, "invalid_code", "This recovery code is not valid.",
                   "Each recovery code works once. Check it, or use your authenticator app.")


async def prove_second_factor(db: AsyncSession, runtime, user: User, *, code: str | None,
                              recovery_code: str | None, client_addr: str | None = None) -> str:
    """Check a TOTP code or spend a recovery code; returns the amr value ("otp" / "recovery")."""
    if code is not None:
        await accept_totp(db, runtime, user, code, client_addr=client_addr)
        return "otp"
    await use_recovery_code(db, runtime, user, recovery_code or "", client_addr=client_addr)
    return "recovery"


async def start_enrollment(db: AsyncSession, runtime, user: User) -> tuple[str, str]:
    """A new pending secret -> (secret, otpauth URI). The enrolled one stays until confirmed."""
    secret = pyotp.random_base32()  # 32 characters = 160 bits (RFC 4226 recommends 160)
    user.totp_pending_secret_enc = runtime.secret_box.encrypt(secret)
    return secret, otpauth_uri(secret, user.email)


async def confirm_enrollment(db: AsyncSession, runtime, user: User, code: str,
                             client_addr: str | None = None) -> list[str]:
    if user.totp_pending_secret_enc is None:
        raise ApiError(409, "no_pending_enrollment", "Start the authenticator set-up first.")
    await accept_totp(db, runtime, user, code, secret_enc=user.totp_pending_secret_enc, client_addr=client_addr)
    user.totp_secret_enc, user.totp_pending_secret_enc = user.totp_pending_secret_enc, None
    user.totp_enrolled_at = runtime.clock.now()
    codes = await new_recovery_codes(db, runtime, user)
    await audit.record(db, runtime.clock, "mfa.enrolled", tenant_id=user.tenant_id, actor=user,
                       client_addr=client_addr, target=f"user:{user.id}")
    return codes
