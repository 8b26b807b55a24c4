"""The longest allowed value of every field, through every route, on both databases: no
500, no truncation. (The review found a 254-character address broke PostgreSQL writes.)"""

from __future__ import annotations

import re

from sqlalchemy import select

from server.models import AuditEvent
from server.schemas.identity import PASSWORD_MAX_LENGTH
from tests.server.flows import (
    API, LONGEST_EMAIL, bearer, enroll_mfa, mail_bodies, parse_verification_mail, read_invitation_code, totp_code,
)

LONG_NAME = "N" * 199 + "x"  # 200: full names, organizations, device names
LONG_PASSWORD = ("Tangerine-Volcano-" * 8)[:PASSWORD_MAX_LENGTH - 2] + "7q"
NEW_LONG_PASSWORD = ("Marmalade-Orbit-" * 9)[:PASSWORD_MAX_LENGTH - 2] + "8w"
LONG_HARDWARE_ID = "h" * 128
LONG_INVITEE = "m" * 64 + "@" + "a" * 63 + "." + "b" * 63 + "." + "d" * 58 + ".io"


def _never_500(responses) -> None:
    for r in responses:
        assert r.status_code < 500, (r.request.url, r.status_code, r.text)


async def test_longest_values_through_every_route(app, client, settings, clock):
    seen = []

    async def call(method: str, url: str, **kwargs):
        r = await client.request(method, url, **kwargs)
        seen.append(r)
        return r

    assert len(LONG_PASSWORD) == len(NEW_LONG_PASSWORD) == PASSWORD_MAX_LENGTH
    r = await call("POST", f"{API}/register", json={"email": LONGEST_EMAIL, "password": LONG_PASSWORD,
                                                    "full_name": LONG_NAME, "organization": LONG_NAME})
    assert r.status_code == 201, r.text
    handle = r.json()["registration"]
    code, token = parse_verification_mail(mail_bodies(settings, to=LONGEST_EMAIL)[-1])
    await call("POST", f"{API}/verify-email", json={"email": LONGEST_EMAIL, "code": "000000" if code != "000000"
                                                    else "111111", "registration": handle})
    clock.advance(61)
    await call("POST", f"{API}/verify-email/resend", json={"email": LONGEST_EMAIL, "registration": handle})
    code, token = parse_verification_mail(mail_bodies(settings, to=LONGEST_EMAIL)[-1])
    await call("POST", f"{API}/verify-email/link", json={"token": "t" * 512, "password": "p" * 1024})
    await call("POST", f"{API}/login", json={"email": LONGEST_EMAIL, "password": "w" * 1024,
                                             "device_name": LONG_NAME, "hardware_id": LONG_HARDWARE_ID})
    r = await call("POST", f"{API}/login", json={"email": LONGEST_EMAIL, "password": LONG_PASSWORD})
    assert r.json()["registration"] == handle
    r = await call("POST", f"{API}/verify-email/link", json={"token": token, "password": LONG_PASSWORD})
    assert r.status_code == 200, r.text
    r = await call("POST", f"{API}/login", json={"email": LONGEST_EMAIL, "password": LONG_PASSWORD,
                                                 "device_name": LONG_NAME, "hardware_id": LONG_HARDWARE_ID})
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    secret, recovery = await enroll_mfa(client, access, clock)
    r = await call("POST", f"{API}/login", json={"email": LONGEST_EMAIL, "password": LONG_PASSWORD,
                                                 "device_name": LONG_NAME, "hardware_id": LONG_HARDWARE_ID})
    mfa_token = r.json()["mfa_token"]
    await call("POST", f"{API}/mfa/challenge", json={"mfa_token": mfa_token, "recovery_code": "r" * 64})
    r = await call("POST", f"{API}/mfa/challenge", json={"mfa_token": mfa_token, "code": totp_code(secret, clock)})
    assert r.status_code == 200, r.text
    clock.advance(30)
    tokens = r.json()
    auth = bearer(tokens["access_token"])
    await call("POST", f"{API}/mfa/recovery-codes", headers=auth, json={"recovery_code": "z" * 64})
    await call("GET", f"{API}/me", headers=auth)
    await call("GET", f"{API}/sessions", headers=auth)
    await call("DELETE", f"{API}/sessions/{'s' * 64}", headers=auth)
    await call("POST", f"{API}/refresh", json={"refresh_token": "r" * 512})
    r = await call("POST", "/api/v1/licenses/acquire", headers=auth,
                   json={"hardware_id": LONG_HARDWARE_ID, "device_name": LONG_NAME, "license_key": "K" * 100})
    r = await call("POST", "/api/v1/licenses/acquire", headers=auth,
                   json={"hardware_id": LONG_HARDWARE_ID, "device_name": LONG_NAME})
    assert r.status_code == 201, r.text
    seat_id = r.json()["seat_id"]
    await call("PUT", "/api/v1/licenses/heartbeat", headers=auth, json={"seat_id": "x" * 64})
    await call("PUT", "/api/v1/licenses/heartbeat", headers=auth, json={"seat_id": seat_id})
    await call("POST", "/api/v1/licenses/activate", headers=auth, json={"license_key": "K" * 100})
    await call("GET", "/api/v1/licenses", headers=auth)
    await call("POST", "/api/v1/usage/commands", headers=auth, json={"count": 1000})
    await call("GET", "/api/v1/usage/commands", headers=auth)
    # Administration, with the longest invitee address and search text.
    r = await call("POST", "/api/v1/admin/invitations", headers=auth, json={"email": LONG_INVITEE, "role": "admin"})
    assert r.status_code == 201, r.text
    invitation = read_invitation_code(settings, LONG_INVITEE)
    await call("POST", f"{API}/invitations/preview", json={"token": "i" * 512})
    await call("POST", f"{API}/invitations/preview", json={"token": invitation})
    r = await call("POST", f"{API}/invitations/accept", json={"token": invitation, "full_name": LONG_NAME,
                                                              "password": LONG_PASSWORD})
    assert r.status_code == 201, r.text
    invitee_id = r.json()["user_id"]
    await call("GET", "/api/v1/admin/sessions", headers=auth, params={"q": "q" * 200, "user_id": "u" * 64})
    await call("GET", "/api/v1/admin/users", headers=auth, params={"cursor": "c" * 512})
    await call("PATCH", f"/api/v1/admin/users/{invitee_id}", headers=auth, json={"role": "member"})
    await call("PUT", f"/api/v1/admin/quotas/{invitee_id}", headers=auth, json={"daily_limit": 10_000_000})
    await call("PUT", "/api/v1/admin/quotas/default", headers=auth, json={"daily_limit": 10_000_000})
    await call("GET", "/api/v1/admin/quotas", headers=auth, params={"cursor": "c" * 512})
    await call("POST", f"/api/v1/admin/users/{invitee_id}/reset-mfa", headers=auth)
    await call("POST", f"/api/v1/admin/users/{invitee_id}/revoke-sessions", headers=auth)
    await call("GET", "/api/v1/admin/seats", headers=auth)
    await call("DELETE", f"/api/v1/admin/seats/{'x' * 64}", headers=auth)
    await call("DELETE", f"/api/v1/admin/sessions/{'x' * 64}", headers=auth)
    await call("GET", "/api/v1/admin/audit", headers=auth, params={"action": "a" * 64, "cursor": "c" * 512})
    await call("GET", "/api/v1/support/tenants", headers=auth)
    # Passwords: change, then forgot + reset with every field at its longest.
    r = await call("POST", f"{API}/password/change", headers=auth, json={
        "current_password": LONG_PASSWORD, "new_password": NEW_LONG_PASSWORD, "totp_code": totp_code(secret, clock)})
    assert r.status_code == 200, r.text
    clock.advance(61)
    await call("POST", f"{API}/password/forgot", json={"email": LONGEST_EMAIL})
    body = [b for b in mail_bodies(settings, to=LONGEST_EMAIL) if "password reset code" in b][-1]
    reset_code = "".join(re.search(r"reset code is: (\d{3}) (\d{3})", body).groups())
    await call("POST", f"{API}/password/reset", json={
        "email": LONGEST_EMAIL, "token": "t" * 512, "new_password": LONG_PASSWORD, "recovery_code": "r" * 64})
    r = await call("POST", f"{API}/password/reset", json={
        "email": LONGEST_EMAIL, "code": reset_code, "new_password": LONG_PASSWORD, "recovery_code": recovery[0],
        "device_name": LONG_NAME, "hardware_id": LONG_HARDWARE_ID})
    assert r.status_code == 200, r.text
    await call("DELETE", "/api/v1/licenses/release", headers=bearer(r.json()["access_token"]),
               json={"seat_id": seat_id})
    await call("POST", f"{API}/logout", headers=bearer(r.json()["access_token"]))
    _never_500(seen)
    async with app.state.runtime.sessionmaker() as db:
        targets = (await db.execute(select(AuditEvent.target).where(AuditEvent.target.like("email:%")))).scalars().all()
    assert f"email:{LONGEST_EMAIL}" in targets  # kept whole
