"""E-mail verification: code and link, single use, 15 min, 5 wrong codes burn it, a newer
code invalidates older ones, resend answers 202 whatever happens, 60 s cooldown."""

from __future__ import annotations

import pytest

from tests.server.flows import API, DEFAULT_PASSWORD, mail_bodies, read_verification_mail, register

EMAIL = "grace@example.com"
UNKNOWN_HANDLE = "not-a-registration-handle-0123"
# The handle `register` returned for each address (the client that registered keeps it).
handles: dict[str, str] = {}


@pytest.fixture
async def pending(client, settings):
    """A registered, unverified account -> (code, link token) of its mail."""
    r = await register(client, EMAIL)
    assert r.status_code == 201
    handles[EMAIL] = r.json()["registration"]
    return read_verification_mail(settings, to=EMAIL)


async def verify(client, code, email=EMAIL):
    return await client.post(f"{API}/verify-email", json={"email": email, "code": code,
                                                           "registration": handles.get(email, UNKNOWN_HANDLE)})


async def verify_link(client, token):
    return await client.post(f"{API}/verify-email/link", json={"token": token, "registration": handles[EMAIL]})


async def resend(client, email=EMAIL):
    return await client.post(f"{API}/verify-email/resend",
                             json={"email": email, "registration": handles.get(email, UNKNOWN_HANDLE)})


async def login_status(client) -> tuple[int, str]:
    r = await client.post(f"{API}/login", json={"email": EMAIL, "password": DEFAULT_PASSWORD})
    return r.status_code, r.json().get("code", "ok")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_verifies_once(client, pending):
    code, _ = pending
    assert await login_status(client) == (403, "email_not_verified")
    r = await verify(client, code[:3] + " " + code[3:])  # as printed in the mail
    assert r.status_code == 200 and r.json() == {"status": "verified"}
    assert (await login_status(client))[0] == 200
    again = await verify(client, code)
    assert again.status_code == 400 and again.json()["code"] == "invalid_code"


async def test_link_verifies_once(client, pending):
    _, token = pending
    assert (await verify_link(client, token)).status_code == 200
    assert (await login_status(client))[0] == 200
    again = await verify_link(client, token)
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"


@pytest.mark.parametrize("minutes, works", [(14.9, True), (15, False)])
async def test_code_lives_15_minutes(client, clock, pending, minutes, works):
    code, _ = pending
    clock.advance(minutes=minutes)
    assert ((await verify(client, code)).status_code == 200) is works


async def test_link_expires_after_15_minutes(client, clock, pending):
    clock.advance(minutes=15)
    assert (await verify_link(client, pending[1])).json()["code"] == "invalid_token"


async def test_four_wrong_codes_leave_the_code_usable(client, pending):
    code, _ = pending
    for _ in range(4):
        assert (await verify(client, wrong(code))).json()["code"] == "invalid_code"
    assert (await verify(client, code)).status_code == 200


async def test_five_wrong_codes_burn_it_and_the_link(client, pending):
    code, token = pending
    for _ in range(5):
        assert (await verify(client, wrong(code))).status_code == 400
    assert (await verify(client, code)).json()["code"] == "invalid_code"
    assert (await verify_link(client, token)).json()["code"] == "invalid_token"


async def test_a_newer_code_invalidates_the_older_one(client, clock, settings, pending):
    old_code, old_token = pending
    clock.advance(61)
    assert (await resend(client)).status_code == 202
    new_code, new_token = read_verification_mail(settings, to=EMAIL)
    assert new_token != old_token
    assert (await verify_link(client, old_token)).status_code == 400
    if new_code != old_code:
        assert (await verify(client, old_code)).status_code == 400
    assert (await verify(client, new_code)).status_code == 200


async def test_resend_has_a_60_second_cooldown(client, clock, settings, pending):
    assert len(mail_bodies(settings, to=EMAIL)) == 1
    clock.advance(59)
    assert (await resend(client)).status_code == 202
    assert len(mail_bodies(settings, to=EMAIL)) == 1
    clock.advance(1)
    assert (await resend(client)).status_code == 202
    assert len(mail_bodies(settings, to=EMAIL)) == 2


async def test_resend_answers_202_for_unknown_and_verified_addresses_and_sends_nothing(client, clock, settings,
                                                                                       pending):
    assert (await verify(client, pending[0])).status_code == 200
    clock.advance(120)
    answers = [await resend(client), await resend(client, "nobody@example.com")]
    assert [(r.status_code, r.json()) for r in answers] == [(202, {"status": "accepted"})] * 2
    assert len(mail_bodies(settings)) == 1


async def test_unknown_address_and_wrong_code_answer_alike(client, pending):
    code, _ = pending
    known = await verify(client, wrong(code))
    unknown = await verify(client, code, email="nobody@example.com")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


async def test_unverified_account_learns_it_only_with_the_right_password(client, pending):
    r = await client.post(f"{API}/login", json={"email": EMAIL, "password": "wrong password 123"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    assert await login_status(client) == (403, "email_not_verified")


async def test_malformed_code_is_a_validation_error(client, pending):
    r = await verify(client, "12345a")
    assert r.status_code == 422 and "12345a" not in r.text
