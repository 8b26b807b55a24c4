"""TOTP: RFC 6238 vectors, enrollment, +-1 step, replay, the MFA token, secrets at rest."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from sqlalchemy import select

from server.models import AuditEvent, User
from server.services.mfa import matching_steps
from tests.server.flows import API, bearer, enroll_mfa, login, mfa_owner, register_and_verify, totp_code

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize("unix_time, eight_digits", [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130"),
])
def test_rfc6238_appendix_b_sha1_vectors(unix_time, eight_digits):
    now = datetime.fromtimestamp(unix_time, tz=timezone.utc)
    six_digits = f"{int(eight_digits) % 10**6:06d}"
    assert matching_steps(RFC_SECRET, six_digits, now) == [unix_time // 30]
    assert matching_steps(RFC_SECRET, f"{(int(six_digits) + 1) % 10**6:06d}", now) == []


async def test_enrollment_gives_a_compact_otpauth_uri_and_ten_recovery_codes(app, client, clock, settings):
    account = await register_and_verify(client, settings, email="ada@example.com")
    r = await client.post(f"{API}/mfa/enroll", headers=bearer(account["access_token"]))
    enroll = r.json()
    secret = enroll["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert enroll["otpauth_uri"] == f"otpauth://totp/CODITECT:ada@example.com?secret={secret}&issuer=CODITECT"
    uri = urlparse(enroll["otpauth_uri"])
    assert set(parse_qs(uri.query)) == {"secret", "issuer"}
    # Not enrolled until confirmed.
    assert (await client.get(f"{API}/me", headers=bearer(account["access_token"]))).json()["mfa_enrolled"] is False
    r = await client.post(f"{API}/mfa/enroll/confirm", headers=bearer(account["access_token"]),
                          json={"code": totp_code(secret, clock)})
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(re.fullmatch(r"[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}", c) for c in codes)
    assert (await client.get(f"{API}/me", headers=bearer(account["access_token"]))).json()["mfa_enrolled"] is True
    async with app.state.runtime.sessionmaker() as db:
        user = await db.get(User, account["user_id"])
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert secret not in (user.totp_secret_enc or "") and user.totp_pending_secret_enc is None
    assert app.state.runtime.secret_box.decrypt(user.totp_secret_enc) == secret
    assert "mfa.enrolled" in actions


async def test_wrong_confirmation_code_does_not_enroll(client, clock, settings):
    account = await register_and_verify(client, settings)
    secret = (await client.post(f"{API}/mfa/enroll", headers=bearer(account["access_token"]))).json()["secret"]
    wrong = f"{(int(totp_code(secret, clock)) + 1) % 10**6:06d}"
    r = await client.post(f"{API}/mfa/enroll/confirm", headers=bearer(account["access_token"]), json={"code": wrong})
    assert r.status_code == 401 and r.json()["code"] == "invalid_code"
    assert (await client.get(f"{API}/me", headers=bearer(account["access_token"]))).json()["mfa_enrolled"] is False


async def test_confirm_without_enroll_is_a_clear_conflict(client, settings):
    account = await register_and_verify(client, settings)
    r = await client.post(f"{API}/mfa/enroll/confirm", headers=bearer(account["access_token"]), json={"code": "123456"})
    assert r.status_code == 409 and r.json()["code"] == "no_pending_enrollment"


async def test_confirming_upgrades_the_session_to_mfa(client, clock, settings):
    account = await register_and_verify(client, settings)
    await enroll_mfa(client, account["access_token"], clock)
    pair = (await client.post(f"{API}/refresh", json={"refresh_token": account["refresh_token"]})).json()
    assert (await client.get(f"{API}/me", headers=bearer(pair["access_token"]))).json()["amr"] == ["pwd", "otp"]


@pytest.fixture
async def enrolled(client, clock, settings):
    account = await register_and_verify(client, settings)
    secret, codes = await enroll_mfa(client, account["access_token"], clock)
    return {**account, "secret": secret, "recovery_codes": codes}


async def challenge(client, mfa_token, **proof):
    return await client.post(f"{API}/mfa/challenge", json={"mfa_token": mfa_token, **proof})


async def test_login_with_mfa_needs_the_second_step(client, clock, enrolled):
    first = await login(client, enrolled["email"])
    assert first == {"mfa_required": True, "mfa_token": first["mfa_token"]}
    r = await challenge(client, first["mfa_token"], code=totp_code(enrolled["secret"], clock))
    assert r.status_code == 200
    assert (await client.get(f"{API}/me", headers=bearer(r.json()["access_token"]))).json()["amr"] == ["pwd", "otp"]


@pytest.mark.parametrize("steps, accepted", [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
async def test_codes_within_one_step_are_accepted(client, clock, enrolled, steps, accepted):
    clock.advance(120)  # well past the step used to confirm enrollment
    first = await login(client, enrolled["email"])
    r = await challenge(client, first["mfa_token"], code=totp_code(enrolled["secret"], clock, steps_ahead=steps))
    assert (r.status_code == 200) is accepted
    if not accepted:
        assert r.json()["code"] == "invalid_code"


async def test_a_code_is_accepted_once(app, client, clock, enrolled):
    code = totp_code(enrolled["secret"], clock)
    assert (await challenge(client, (await login(client, enrolled["email"]))["mfa_token"], code=code)).status_code == 200
    r = await challenge(client, (await login(client, enrolled["email"]))["mfa_token"], code=code)
    assert r.status_code == 401 and r.json()["code"] == "code_reused"
    # An older step than the last accepted one is a replay too.
    older = totp_code(enrolled["secret"], clock, steps_ahead=-1)
    r = await challenge(client, (await login(client, enrolled["email"]))["mfa_token"], code=older)
    assert r.json()["code"] == "code_reused"
    async with app.state.runtime.sessionmaker() as db:
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert actions.count("mfa.code_reused") == 2


async def test_a_confirmation_code_cannot_be_replayed_at_login(client, clock, settings):
    account = await register_and_verify(client, settings)
    secret = (await client.post(f"{API}/mfa/enroll", headers=bearer(account["access_token"]))).json()["secret"]
    code = totp_code(secret, clock)
    await client.post(f"{API}/mfa/enroll/confirm", headers=bearer(account["access_token"]), json={"code": code})
    r = await challenge(client, (await login(client, account["email"]))["mfa_token"], code=code)
    assert r.json()["code"] == "code_reused"


async def test_mfa_token_lives_five_minutes(client, clock, enrolled):
    first = await login(client, enrolled["email"])
    clock.advance(minutes=5)
    r = await challenge(client, first["mfa_token"], code=totp_code(enrolled["secret"], clock))
    assert r.status_code == 401 and r.json()["code"] == "mfa_token_invalid"


async def test_mfa_token_dies_after_five_wrong_codes(client, clock, enrolled):
    first = await login(client, enrolled["email"])
    right = totp_code(enrolled["secret"], clock)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        assert (await challenge(client, first["mfa_token"], code=wrong)).json()["code"] == "invalid_code"
    assert (await challenge(client, first["mfa_token"], code=right)).json()["code"] == "mfa_token_invalid"


async def test_mfa_token_survives_four_wrong_codes(client, clock, enrolled):
    first = await login(client, enrolled["email"])
    right = totp_code(enrolled["secret"], clock)
    for _ in range(4):
        await challenge(client, first["mfa_token"], code=f"{(int(right) + 1) % 10**6:06d}")
    assert (await challenge(client, first["mfa_token"], code=right)).status_code == 200


async def test_mfa_token_is_single_use(client, clock, enrolled):
    first = await login(client, enrolled["email"])
    assert (await challenge(client, first["mfa_token"], code=totp_code(enrolled["secret"], clock))).status_code == 200
    r = await challenge(client, first["mfa_token"], code=totp_code(enrolled["secret"], clock, steps_ahead=1))
    assert r.json()["code"] == "mfa_token_invalid"


async def test_enrolled_secret_matches_an_independent_totp_implementation(client, clock, enrolled):
    # pyotp with explicit RFC parameters, as an authenticator app would compute it.
    code = pyotp.TOTP(enrolled["secret"], digits=6, interval=30, digest="sha1").at(clock.now())
    first = await login(client, enrolled["email"])
    assert (await challenge(client, first["mfa_token"], code=code)).status_code == 200


async def test_mfa_owner_helper_yields_an_mfa_session(client, clock, settings):
    account = await mfa_owner(client, settings, clock)
    me = (await client.get(f"{API}/me", headers=bearer(account["access_token"]))).json()
    assert me["amr"] == ["pwd", "otp"] and me["mfa_enrolled"] is True
