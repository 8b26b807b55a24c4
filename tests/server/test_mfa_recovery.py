"""Recovery codes (single use, regenerated sets replace old ones) and re-enrollment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import AuditEvent, RecoveryCode
from tests.server.flows import API, bearer, login, mfa_owner, register_and_verify, totp_code


@pytest.fixture
async def owner(client, clock, settings):
    return await mfa_owner(client, settings, clock)


async def recover(client, email, recovery_code):
    first = await login(client, email)
    return await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"],
                                                            "recovery_code": recovery_code})


async def test_a_recovery_code_signs_in_once(app, client, owner):
    code = owner["recovery_codes"][0]
    r = await recover(client, owner["email"], code.upper().replace("-", " "))  # typed loosely
    assert r.status_code == 200
    assert (await client.get(f"{API}/me", headers=bearer(r.json()["access_token"]))).json()["amr"] == \
        ["pwd", "recovery"]
    again = await recover(client, owner["email"], code)
    assert again.status_code == 401 and again.json()["code"] == "invalid_code"
    assert (await recover(client, owner["email"], owner["recovery_codes"][1])).status_code == 200
    async with app.state.runtime.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent).where(AuditEvent.action == "mfa.recovery_code_used"))
                  ).scalars().all()
        stored = (await db.execute(select(RecoveryCode.code_hash))).scalars().all()
    assert [e.detail["remaining"] for e in events] == [9, 8]
    assert not set(owner["recovery_codes"]) & set(stored)


async def test_regenerating_recovery_codes_needs_a_factor_and_kills_the_old_set(client, clock, owner):
    headers = bearer(owner["access_token"])
    r = await client.post(f"{API}/mfa/recovery-codes", headers=headers, json={})
    assert r.status_code == 422
    r = await client.post(f"{API}/mfa/recovery-codes", headers=headers, json={"code": totp_code(owner["secret"], clock)})
    assert r.status_code == 200
    fresh = r.json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(owner["recovery_codes"])
    assert (await recover(client, owner["email"], owner["recovery_codes"][0])).json()["code"] == "invalid_code"
    assert (await recover(client, owner["email"], fresh[0])).status_code == 200


async def test_recovery_codes_need_an_enrolled_account(client, settings):
    account = await register_and_verify(client, settings)
    r = await client.post(f"{API}/mfa/recovery-codes", headers=bearer(account["access_token"]),
                          json={"code": "123456"})
    assert r.status_code == 409 and r.json()["code"] == "mfa_not_enrolled"


async def test_re_enrolling_needs_the_current_factor(client, clock, owner):
    headers = bearer(owner["access_token"])
    r = await client.post(f"{API}/mfa/enroll", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "mfa_proof_required"
    wrong = f"{(int(totp_code(owner['secret'], clock)) + 1) % 10**6:06d}"
    r = await client.post(f"{API}/mfa/enroll", headers=headers, json={"code": wrong})
    assert r.status_code == 401 and r.json()["code"] == "invalid_code"
    r = await client.post(f"{API}/mfa/enroll", headers=headers, json={"recovery_code": owner["recovery_codes"][0]})
    assert r.status_code == 200
    new_secret = r.json()["secret"]
    assert new_secret != owner["secret"]
    clock.advance(30)
    # Until the new secret is confirmed, the old authenticator keeps working.
    first = await login(client, owner["email"])
    ok = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"],
                                                          "code": totp_code(owner["secret"], clock)})
    assert ok.status_code == 200
    clock.advance(30)
    r = await client.post(f"{API}/mfa/enroll/confirm", headers=headers, json={"code": totp_code(new_secret, clock)})
    assert r.status_code == 200
    clock.advance(30)
    first = await login(client, owner["email"])
    old = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"],
                                                           "code": totp_code(owner["secret"], clock)})
    assert old.status_code == 401
    new = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"],
                                                           "code": totp_code(new_secret, clock)})
    assert new.status_code == 200


async def test_challenge_needs_exactly_one_kind_of_code(client, owner):
    first = await login(client, owner["email"])
    both = {"mfa_token": first["mfa_token"], "code": "123456", "recovery_code": owner["recovery_codes"][0]}
    r = await client.post(f"{API}/mfa/challenge", json=both)
    assert r.status_code == 422 and owner["recovery_codes"][0] not in r.text
