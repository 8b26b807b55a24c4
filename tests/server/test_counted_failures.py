"""Counting failures can never be undone: every counted failure (password, second factor,
e-mail code, reset code, invitation code) is committed even when the request then fails
elsewhere (here: the audit trail cannot be written), so guessing stays limited."""

from __future__ import annotations

import logging

from sqlalchemy import text

from tests.server.flows import (
    API, LONGEST_EMAIL, login, mail_bodies, mfa_owner, parse_verification_mail, register, register_and_verify,
)


async def _break_the_audit_trail(app) -> None:
    async with app.state.runtime.engine.begin() as conn:
        await conn.execute(text("DROP TABLE audit_events"))


def _limited(statuses: list[int]) -> bool:
    return 429 in statuses and statuses[0] != 429


async def test_wrong_passwords_stay_counted_when_the_audit_row_fails(app, client, settings, caplog):
    account = await register_and_verify(client, settings, sign_in=False)
    await _break_the_audit_trail(app)
    caplog.set_level(logging.ERROR)
    body = {"email": account["email"], "password": "not-the-password-123"}
    statuses = [(await client.post(f"{API}/login", json=body)).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    assert "audit event auth.login_failed not written" in caplog.text and account["email"] not in caplog.text


async def test_wrong_second_factor_codes_stay_counted_for_the_longest_address(app, client, settings, clock):
    """The review's finding: on PostgreSQL a 195+ character address overflowed the audit
    row, the commit failed and the counters rolled back: guesses without limit."""
    account = await mfa_owner(client, settings, clock, email=LONGEST_EMAIL)
    statuses = []
    for _ in range(12):
        first = await client.post(f"{API}/login", json={"email": LONGEST_EMAIL, "password": account["password"]})
        if first.status_code != 200:
            statuses.append(first.status_code)
            continue
        r = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first.json()["mfa_token"], "code": "000000"})
        statuses.append(r.status_code)
    assert 500 not in statuses and _limited(statuses), statuses


async def test_wrong_second_factor_codes_stay_counted_when_the_audit_row_fails(app, client, settings, clock):
    account = await mfa_owner(client, settings, clock)
    first = await login(client, account["email"], account["password"])
    await _break_the_audit_trail(app)
    statuses = [(await client.post(f"{API}/mfa/challenge",
                                   json={"mfa_token": first["mfa_token"], "code": "000000"})).status_code
                for _ in range(12)]
    # 5 wrong codes end the challenge; every one of them was counted for the account.
    assert statuses[:5] == [401] * 5
    r = await client.post(f"{API}/login", json={"email": account["email"], "password": "wrong-password-12345"})
    statuses += [r.status_code for r in [r]]
    for _ in range(6):
        statuses.append((await client.post(f"{API}/login", json={"email": account["email"],
                                                                  "password": "wrong-password-12345"})).status_code)
    assert 429 in statuses[5:] and 500 not in statuses


async def test_wrong_email_and_invitation_codes_stay_counted_when_the_audit_row_fails(app, client, settings):
    r = await register(client, "pending@example.com")
    handle = r.json()["registration"]
    code, _ = parse_verification_mail(mail_bodies(settings, to="pending@example.com")[-1])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    await _break_the_audit_trail(app)
    statuses = [(await client.post(f"{API}/verify-email", json={"email": "pending@example.com", "code": wrong,
                                                                "registration": handle})).status_code
                for _ in range(11)]
    assert statuses[0] == 400 and statuses[-1] == 429
    statuses = [(await client.post(f"{API}/invitations/preview", json={"token": "no-such-invitation-%02d" % i}))
                .status_code for i in range(45)]
    assert statuses[0] == 410 and statuses[-1] == 429 and 500 not in statuses
