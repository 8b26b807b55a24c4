"""Reusable identity flows against the real API, for any test that needs a signed-in user.

    account = await register_and_verify(client, settings)             # owner of a new tenant
    secret, recovery = await enroll_mfa(client, account["access_token"], clock)
    tokens = await login_with_mfa(client, account["email"], account["password"], secret, clock)

TOTP codes are accepted once per 30 s step, so every helper that spends a code moves a
FrozenClock on by one step afterwards (the next code is then fresh). With a real clock
(live servers) pass `clock=None`: the helpers then use the next step's code, which the
server accepts (+-1 step).
"""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp

API = "/api/v1/auth"
DEFAULT_PASSWORD = "tangerine-volcano-harbour-42"
# The longest address there is: 64 characters before the @, 254 in all (RFC 5321).
LONGEST_EMAIL = "l" * 64 + "@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 58 + ".io"
assert len(LONGEST_EMAIL) == 254

_CODE = re.compile(r"verification code is: (\d{3}) (\d{3})")
_LINK = re.compile(r"/verify\?token=([A-Za-z0-9_\-]+)")


def _outbox(outbox_dir_or_settings) -> Path:
    return Path(getattr(outbox_dir_or_settings, "outbox_dir", None) or outbox_dir_or_settings)


def mail_bodies(outbox_dir_or_settings, to: str | None = None) -> list[str]:
    """Bodies of the .eml files in the outbox, oldest first (optionally only those to `to`)."""
    bodies = []
    directory = _outbox(outbox_dir_or_settings)
    for path in sorted(directory.glob("*.eml")) if directory.exists() else []:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if to is None or msg["To"] == to:
            bodies.append(msg.get_body(("plain",)).get_content())
    return bodies


def parse_verification_mail(body: str) -> tuple[str, str]:
    code, link = _CODE.search(body), _LINK.search(body)
    assert code and link, "not a verification mail"
    return code.group(1) + code.group(2), link.group(1)


def read_verification_mail(outbox_dir, to: str | None = None, wait_s: float = 5.0) -> tuple[str, str]:
    """(code, link token) of the newest verification mail in the outbox.

    A live server writes the mail just after answering, so this waits up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while not (bodies := mail_bodies(outbox_dir, to)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bodies, f"no mail in {_outbox(outbox_dir)}"
    return parse_verification_mail(bodies[-1])


def read_invitation_code(outbox_dir, to: str, wait_s: float = 5.0) -> str:
    """The code in the newest invitation mail to `to` (its one indented line); waits for
    the mail like read_verification_mail."""
    deadline = time.monotonic() + wait_s
    while not (bodies := mail_bodies(outbox_dir, to)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bodies, f"no mail to {to}"
    body = bodies[-1]
    assert 'Choose "I have an invitation" (key i)' in body and "coditect-console" in body
    return next(line.strip() for line in body.splitlines() if line.startswith("    "))


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{secrets.token_hex(4)}@example.com"


def _now(clock) -> datetime:
    return clock.now() if clock is not None else datetime.now(timezone.utc)


def totp_code(secret: str, clock, *, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(_now(clock) + timedelta(seconds=30 * steps_ahead))


def _can_advance(clock) -> bool:
    return clock is not None and hasattr(clock, "advance")


def _next_step(clock) -> None:
    if _can_advance(clock):
        clock.advance(30)


async def register(client, email_: str | None = None, password: str = DEFAULT_PASSWORD,
                   org: str = "Northwind Traders", full_name: str = "Ada Example"):
    """POST /register; returns the response (not asserted, for tests of the failures)."""
    return await client.post(f"{API}/register", json={
        "email": email_ or unique_email(), "password": password, "full_name": full_name, "organization": org,
    })


async def login(client, email_: str, password: str = DEFAULT_PASSWORD, device_name: str = "test device",
                **extra) -> dict:
    r = await client.post(f"{API}/login", json={"email": email_, "password": password,
                                                "device_name": device_name, **extra})
    assert r.status_code == 200, r.text
    return r.json()


async def register_and_verify(client, outbox_dir_or_settings, email: str | None = None,
                              password: str = DEFAULT_PASSWORD, org: str = "Northwind Traders",
                              full_name: str = "Ada Example", sign_in: bool = True) -> dict:
    """Register an owner, verify the address with the mailed code and (by default) sign in
    without MFA. -> {email, password, user_id, tenant_id[, access_token, refresh_token, session_id]}"""
    address = email or unique_email()
    r = await register(client, address, password, org, full_name)
    assert r.status_code == 201, r.text
    account = {"email": address, "password": password, **r.json()}
    code, _link = read_verification_mail(outbox_dir_or_settings, to=address)
    r = await client.post(f"{API}/verify-email", json={"email": address, "code": code,
                                                       "registration": account["registration"]})
    assert r.status_code == 200, r.text
    if sign_in:
        tokens = await login(client, address, password)
        account.update(access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                       session_id=tokens["session_id"])
    return account


def bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}"}


async def enroll_mfa(client, access_token: str, clock) -> tuple[str, list[str]]:
    """Enroll TOTP for the signed-in user -> (base32 secret, 10 recovery codes)."""
    r = await client.post(f"{API}/mfa/enroll", headers=bearer(access_token))
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    r = await client.post(f"{API}/mfa/enroll/confirm", headers=bearer(access_token),
                          json={"code": totp_code(secret, clock)})
    assert r.status_code == 200, r.text
    _next_step(clock)
    return secret, r.json()["recovery_codes"]


async def login_with_mfa(client, email: str, password: str, secret: str, clock,
                         device_name: str = "test device") -> dict:
    """Password, then a TOTP code -> the TokenResponse as a dict."""
    first = await login(client, email, password, device_name)
    assert first.get("mfa_required"), first
    r = await client.post(f"{API}/mfa/challenge",
                          json={"mfa_token": first["mfa_token"],
                                "code": totp_code(secret, clock, steps_ahead=0 if _can_advance(clock) else 1)})
    assert r.status_code == 200, r.text
    _next_step(clock)
    return r.json()


async def mfa_owner(client, settings, clock, **kwargs) -> dict:
    """A verified owner with TOTP, signed in with MFA: the account dict plus `secret`,
    `recovery_codes` and fresh MFA tokens."""
    account = await register_and_verify(client, settings, **kwargs)
    secret, recovery = await enroll_mfa(client, account["access_token"], clock)
    tokens = await login_with_mfa(client, account["email"], account["password"], secret, clock)
    account.update(secret=secret, recovery_codes=recovery, access_token=tokens["access_token"],
                   refresh_token=tokens["refresh_token"], session_id=tokens["session_id"])
    return account
