"""Forgot / reset / change password: same answer for every address, single-use mailed code,
the second factor still required, every session and seat ended, a notification mail."""

from __future__ import annotations

import re

from sqlalchemy import select

from server.models import AuditEvent, LoginSession, Seat
from tests.server.flows import (
    API, DEFAULT_PASSWORD, bearer, login, mail_bodies, mfa_owner, register_and_verify, totp_code,
)

NEW_PASSWORD = "marmalade-lighthouse-orbit-77"
_RESET = re.compile(r"password reset code is: (\d{3}) (\d{3})")
_RESET_LINK = re.compile(r"/reset\?token=([A-Za-z0-9_\-]+)")


def reset_mail(settings, to: str) -> tuple[str, str]:
    body = [b for b in mail_bodies(settings, to) if "password reset code" in b][-1]
    code = _RESET.search(body)
    return code.group(1) + code.group(2), _RESET_LINK.search(body).group(1)


async def forgot(client, email: str):
    return await client.post(f"{API}/password/forgot", json={"email": email})


async def reset(client, email: str, **fields):
    return await client.post(f"{API}/password/reset",
                             json={"email": email, "new_password": NEW_PASSWORD, **fields})


async def test_forgot_answers_the_same_for_unknown_and_known_addresses(client, settings):
    account = await register_and_verify(client, settings)
    known, unknown = await forgot(client, account["email"]), await forgot(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"status": "accepted"}
    assert mail_bodies(settings, "nobody@example.com") == []
    code, token = reset_mail(settings, account["email"])
    assert len(code) == 6 and f"{settings.public_url}/reset?token={token}" in mail_bodies(settings)[-1]


async def test_reset_with_the_code_signs_in_ends_every_other_session_and_seat(app, client, settings):
    account = await register_and_verify(client, settings)
    old = await login(client, account["email"])
    r = await client.post("/api/v1/licenses/acquire", headers=bearer(old["access_token"]),
                          json={"hardware_id": "hw-1-abcdef0123456789", "device_name": "laptop"})
    assert r.status_code in (200, 201), r.text
    assert (await forgot(client, account["email"])).status_code == 202
    code, _token = reset_mail(settings, account["email"])
    r = await reset(client, account["email"], code=code, device_name="recovery laptop")
    assert r.status_code == 200, r.text
    new_session = r.json()["session_id"]
    me = await client.get(f"{API}/me", headers=bearer(r.json()["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == account["email"]
    assert (await client.get(f"{API}/me", headers=bearer(old["access_token"]))).status_code == 401
    async with app.state.runtime.sessionmaker() as db:
        live = (await db.execute(select(LoginSession.id).where(
            LoginSession.user_id == account["user_id"], LoginSession.revoked_at.is_(None)))).scalars().all()
        seats = (await db.execute(select(Seat).where(Seat.user_id == account["user_id"]))).scalars().all()
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert live == [new_session]
    assert seats and all(seat.released_at is not None for seat in seats)
    assert "auth.password_reset" in actions
    assert any("was reset" in body and "signed out" in body for body in mail_bodies(settings, account["email"]))
    assert (await client.post(f"{API}/login", json={"email": account["email"],
                                                    "password": DEFAULT_PASSWORD})).status_code == 401
    assert "access_token" in await login(client, account["email"], NEW_PASSWORD)
    # Single use: the same code again is refused.
    again = await reset(client, account["email"], code=code, new_password="another-new-passphrase-88")
    assert again.status_code == 400 and again.json()["code"] == "invalid_code"


async def test_the_link_token_works_once_and_only_for_its_address(client, settings):
    account = await register_and_verify(client, settings)
    other = await register_and_verify(client, settings, sign_in=False)
    await forgot(client, account["email"])
    _code, token = reset_mail(settings, account["email"])
    assert (await reset(client, other["email"], token=token)).status_code == 400
    assert (await reset(client, account["email"], token=token)).status_code == 200
    assert (await reset(client, account["email"], token=token)).status_code == 400


async def test_a_mailbox_alone_never_bypasses_the_second_factor(client, settings, clock):
    account = await mfa_owner(client, settings, clock)
    await forgot(client, account["email"])
    code, _token = reset_mail(settings, account["email"])
    r = await reset(client, account["email"], code=code)
    assert r.status_code == 403 and r.json()["code"] == "mfa_required"
    r = await reset(client, account["email"], code=code, totp_code="000000")
    assert r.status_code == 401 and r.json()["code"] == "invalid_code"
    r = await reset(client, account["email"], code=code, totp_code=totp_code(account["secret"], clock))
    assert r.status_code == 200, r.text
    assert "otp" in (await client.get(f"{API}/me", headers=bearer(r.json()["access_token"]))).json()["amr"]


async def test_a_recovery_code_is_a_second_factor_too(client, settings, clock):
    account = await mfa_owner(client, settings, clock)
    await forgot(client, account["email"])
    code, _token = reset_mail(settings, account["email"])
    r = await reset(client, account["email"], code=code, recovery_code=account["recovery_codes"][0])
    assert r.status_code == 200, r.text


async def test_wrong_codes_burn_the_reset_and_are_throttled(client, settings):
    account = await register_and_verify(client, settings)
    await forgot(client, account["email"])
    code, _token = reset_mail(settings, account["email"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert (await reset(client, account["email"], code=wrong)).status_code == 400
    assert (await reset(client, account["email"], code=code)).status_code == 400  # burnt
    statuses = [(await reset(client, account["email"], code=wrong)).status_code for _ in range(6)]
    assert statuses[-1] == 429


async def test_weak_new_password_is_refused_and_the_code_stays_usable(client, settings):
    account = await register_and_verify(client, settings)
    await forgot(client, account["email"])
    code, _token = reset_mail(settings, account["email"])
    r = await reset(client, account["email"], code=code, new_password="Sunshine2026!!")
    assert r.status_code == 422 and r.json()["code"] == "weak_password"
    assert (await reset(client, account["email"], code=code)).status_code == 200


async def test_one_mail_a_minute_then_a_new_code_supersedes_the_old(client, settings, clock):
    account = await register_and_verify(client, settings)
    await forgot(client, account["email"])
    await forgot(client, account["email"])
    assert len([b for b in mail_bodies(settings, account["email"]) if "reset code" in b]) == 1
    first, _ = reset_mail(settings, account["email"])
    clock.advance(61)
    await forgot(client, account["email"])
    second, _ = reset_mail(settings, account["email"])
    if first != second:
        assert (await reset(client, account["email"], code=first)).status_code == 400
    assert (await reset(client, account["email"], code=second)).status_code == 200


async def test_an_unverified_account_gets_no_reset_mail(client, settings):
    account = await register_and_verify(client, settings, sign_in=False)
    from tests.server.flows import register

    r = await register(client, "pending@example.com")
    assert r.status_code == 201
    await forgot(client, "pending@example.com")
    assert not [b for b in mail_bodies(settings, "pending@example.com") if "reset code" in b]
    assert account


async def test_change_password_keeps_this_session_and_ends_the_others(app, client, settings):
    account = await register_and_verify(client, settings)
    other = await login(client, account["email"], device_name="other")
    r = await client.post(f"{API}/password/change", headers=bearer(account["access_token"]),
                          json={"current_password": "wrong-passphrase-123", "new_password": NEW_PASSWORD})
    assert r.status_code == 403 and r.json()["code"] == "wrong_password"
    r = await client.post(f"{API}/password/change", headers=bearer(account["access_token"]),
                          json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 200 and r.json() == {"status": "changed"}
    assert (await client.get(f"{API}/me", headers=bearer(account["access_token"]))).status_code == 200
    assert (await client.get(f"{API}/me", headers=bearer(other["access_token"]))).status_code == 401
    assert "access_token" in await login(client, account["email"], NEW_PASSWORD)
    assert any("was changed" in body for body in mail_bodies(settings, account["email"]))
    async with app.state.runtime.sessionmaker() as db:
        assert "auth.password_changed" in (await db.execute(select(AuditEvent.action))).scalars().all()


async def test_change_password_needs_the_second_factor_when_enrolled(client, settings, clock):
    account = await mfa_owner(client, settings, clock)
    body = {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    r = await client.post(f"{API}/password/change", headers=bearer(account["access_token"]), json=body)
    assert r.status_code == 403 and r.json()["code"] == "mfa_required"
    r = await client.post(f"{API}/password/change", headers=bearer(account["access_token"]),
                          json={**body, "totp_code": totp_code(account["secret"], clock)})
    assert r.status_code == 200, r.text


async def test_change_password_follows_the_registration_rules(client, settings):
    account = await register_and_verify(client, settings)
    r = await client.post(f"{API}/password/change", headers=bearer(account["access_token"]),
                          json={"current_password": DEFAULT_PASSWORD, "new_password": "short"})
    assert r.status_code == 422 and r.json()["reason"] == "too_short"
