"""Registration that can't be hijacked: a code or link verifies only its own registration,
and only for the client that made it (the handle) or whoever knows its password."""

from __future__ import annotations

from sqlalchemy import select

from server.models import User
from tests.server.flows import API, DEFAULT_PASSWORD, login, mail_bodies, parse_verification_mail, register

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "attacker-chosen-passphrase-9"


async def _registered(client, settings, password: str, org: str) -> tuple[str, str, str]:
    r = await register(client, VICTIM, password, org=org)
    assert r.status_code == 201
    code, token = parse_verification_mail(mail_bodies(settings, to=VICTIM)[-1])
    return r.json()["registration"], code, token


async def test_the_newest_code_does_not_verify_a_strangers_registration(app, client, settings):
    """The attack of the review: the victim registers, a stranger registers the same address,
    the victim types the newest code. It must not verify the stranger's account."""
    victim_handle, victim_code, _ = await _registered(client, settings, DEFAULT_PASSWORD, "Victim Ltd")
    attacker_handle, attacker_code, _ = await _registered(client, settings, ATTACKER_PASSWORD, "Squatters")
    # The newest mail is the stranger's: with the victim's handle it verifies nothing.
    r = await client.post(f"{API}/verify-email", json={"email": VICTIM, "code": attacker_code,
                                                       "registration": victim_handle})
    assert r.status_code == 400 and r.json()["code"] == "invalid_code"
    # The victim's own code (from the first mail) still works for the victim's registration.
    r = await client.post(f"{API}/verify-email", json={"email": VICTIM, "code": victim_code,
                                                       "registration": victim_handle})
    assert r.status_code == 200
    assert "access_token" in await login(client, VICTIM, DEFAULT_PASSWORD)
    # The stranger's registration vanished with it.
    r = await client.post(f"{API}/verify-email", json={"email": VICTIM, "code": attacker_code,
                                                       "registration": attacker_handle})
    assert r.status_code == 400
    async with app.state.runtime.sessionmaker() as db:
        [user] = (await db.execute(select(User).where(User.email == VICTIM))).scalars().all()
    assert user.email_verified_at is not None and user.registration_handle_hash is None


async def test_the_second_registration_mail_says_the_address_was_registered_again(client, settings):
    await _registered(client, settings, DEFAULT_PASSWORD, "Victim Ltd")
    first = mail_bodies(settings, to=VICTIM)[-1]
    await _registered(client, settings, ATTACKER_PASSWORD, "Squatters")
    second = mail_bodies(settings, to=VICTIM)[-1]
    assert "registered this address again" not in first
    assert "Someone registered this address again" in second


async def test_a_link_needs_the_handle_or_the_registrations_password(client, settings):
    victim_handle, _, _ = await _registered(client, settings, DEFAULT_PASSWORD, "Victim Ltd")
    _, _, attacker_token = await _registered(client, settings, ATTACKER_PASSWORD, "Squatters")
    link = f"{API}/verify-email/link"
    r = await client.post(link, json={"token": attacker_token})
    assert r.status_code == 400 and r.json()["code"] == "registration_proof_required"
    # The victim clicks the stranger's link: neither their handle nor their password fits it.
    assert (await client.post(link, json={"token": attacker_token, "registration": victim_handle})).status_code == 400
    r = await client.post(link, json={"token": attacker_token, "password": DEFAULT_PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = await client.post(f"{API}/login", json={"email": VICTIM, "password": DEFAULT_PASSWORD})
    assert r.status_code == 403 and r.json()["code"] == "email_not_verified"


async def test_signing_in_to_a_pending_registration_gives_its_handle_back(client, settings):
    handle, code, _ = await _registered(client, settings, DEFAULT_PASSWORD, "Victim Ltd")
    await _registered(client, settings, ATTACKER_PASSWORD, "Squatters")
    r = await client.post(f"{API}/login", json={"email": VICTIM, "password": DEFAULT_PASSWORD})
    assert r.status_code == 403 and r.json()["registration"] == handle
    r = await client.post(f"{API}/verify-email", json={"email": VICTIM, "code": code, "registration": handle})
    assert r.status_code == 200


async def test_resend_needs_the_handle_and_mails_that_registration(client, settings, clock):
    handle, _, _ = await _registered(client, settings, DEFAULT_PASSWORD, "Victim Ltd")
    clock.advance(61)
    before = len(mail_bodies(settings, to=VICTIM))
    r = await client.post(f"{API}/verify-email/resend", json={"email": VICTIM, "registration": "x" * 32})
    assert r.status_code == 202 and len(mail_bodies(settings, to=VICTIM)) == before
    r = await client.post(f"{API}/verify-email/resend", json={"email": VICTIM, "registration": handle})
    assert r.status_code == 202 and len(mail_bodies(settings, to=VICTIM)) == before + 1
    code, _ = parse_verification_mail(mail_bodies(settings, to=VICTIM)[-1])
    r = await client.post(f"{API}/verify-email", json={"email": VICTIM, "code": code, "registration": handle})
    assert r.status_code == 200
