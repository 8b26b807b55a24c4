"""Registration: tenant + owner + free license + verification mail; password policy."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from server.models import AuditEvent, License, Tenant, User
from tests.server.flows import API, DEFAULT_PASSWORD, mail_bodies, parse_verification_mail, register


async def test_register_creates_tenant_owner_free_license_and_mails_code_and_link(app, client, settings):
    r = await register(client, "ada@example.com", org="Northwind Traders")
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"user_id", "tenant_id", "registration"}
    async with app.state.runtime.sessionmaker() as db:
        user = await db.get(User, body["user_id"])
        tenant = await db.get(Tenant, body["tenant_id"])
        licenses = (await db.execute(select(License).where(License.tenant_id == tenant.id))).scalars().all()
        actions = (await db.execute(select(AuditEvent.action))).scalars().all()
    assert user.role == "owner" and user.tenant_id == tenant.id and user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    assert tenant.name == "Northwind Traders" and not tenant.is_staff
    assert [lic.tier for lic in licenses] == ["free"]
    assert "auth.registered" in actions
    [mail] = mail_bodies(settings, to="ada@example.com")
    code, token = parse_verification_mail(mail)
    assert len(code) == 6 and f"{settings.public_url}/verify?token={token}" in mail


async def test_email_is_normalised_so_case_variants_are_one_account(client, settings):
    registered = await register(client, "  Ada.Lovelace@Example.COM ")
    assert registered.status_code == 201
    code, _link = parse_verification_mail(mail_bodies(settings, to="ada.lovelace@example.com")[-1])
    r = await client.post(f"{API}/verify-email", json={"email": "ADA.lovelace@example.com", "code": code,
                                                       "registration": registered.json()["registration"]})
    assert r.status_code == 200
    r = await register(client, "ada.lovelace@example.com")
    assert r.status_code == 409 and r.json()["code"] == "email_taken"


async def test_invalid_email_is_rejected_without_echoing_the_password(client):
    r = await register(client, "not-an-address", password="my secret passphrase 1")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert "my secret passphrase" not in r.text


@pytest.mark.parametrize("password, reason", [
    ("a1b2c3d4e5f", "too_short"),  # 11 characters
    ("x" * 64 + "Yz9!" * 16 + "q", "too_long"),  # 129 characters
    ("Sunshine2026!!", "common"),
    ("P@ssw0rd123456", "common"),
    ("qwertyuiop1234", "common"),
    ("abcabcabcabcabc", "common"),
    ("northwind traders 2026", "personal"),  # the organisation
    ("Coditect-2026-!!", "personal"),  # the product
    ("ada.example.1990", "personal"),  # the e-mail address
])
async def test_weak_passwords_are_refused_with_a_reason(client, password, reason):
    r = await register(client, "ada.example@example.com", password=password, org="Northwind Traders")
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "weak_password" and problem["reason"] == reason and problem["detail"]
    assert password not in r.text


@pytest.mark.parametrize("length", [12, 128])
async def test_password_length_bounds_are_inclusive(client, length):
    password = (secrets.token_urlsafe(100))[:length - 1] + "7"
    assert len(password) == length
    assert (await register(client, password=password)).status_code == 201


async def test_concurrent_duplicate_registration_yields_one_account(app, client):
    import asyncio

    results = await asyncio.gather(*(register(client, "race@example.com", DEFAULT_PASSWORD) for _ in range(4)))
    # Pending registrations coexist; verifying them all at once leaves one account.
    assert [r.status_code for r in results] == [201] * 4
    verified = await asyncio.gather(*(
        client.post("/verify-email/link".join([API, ""]), json={
            "token": parse_verification_mail(body)[1], "password": DEFAULT_PASSWORD})
        for body in mail_bodies(app.state.runtime.settings, to="race@example.com")
    ))
    assert sorted(r.status_code for r in verified) in ([200, 400, 400, 400], [200, 409, 409, 409],
                                                      [200, 400, 400, 409], [200, 400, 409, 409])
    async with app.state.runtime.sessionmaker() as db:
        [user] = (await db.execute(select(User).where(User.email == "race@example.com"))).scalars().all()
    assert user.id in {r.json()["user_id"] for r in results} and user.email_verified_at is not None


async def test_register_route_is_in_openapi_with_its_schemas(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in ("register", "verify-email", "verify-email/link", "verify-email/resend", "login", "mfa/challenge",
                 "mfa/enroll", "mfa/enroll/confirm", "mfa/recovery-codes", "refresh", "logout", "me", "sessions",
                 "sessions/{session_id}"):
        assert f"{API}/{path}" in paths, path
    schemas = spec["components"]["schemas"]
    for name in ("RegisterRequest", "RegisterResponse", "LoginResponse", "TokenResponse", "MeResponse",
                 "SessionInfo", "MfaEnrollResponse", "RecoveryCodesResponse", "Problem"):
        assert name in schemas, name
