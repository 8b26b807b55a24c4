"""No password, code, TOTP secret, recovery code or token in the logs or the audit table."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from server.models import AuditEvent
from tests.server.flows import (
    API, DEFAULT_PASSWORD, bearer, login, read_verification_mail, register, totp_code,
)

LOGGERS = ("", "server", "sqlalchemy.engine", "sqlalchemy.pool", "uvicorn", "uvicorn.error", "uvicorn.access",
           "httpx", "fastapi", "argon2", "aiosqlite", "asyncpg")


def _present(secret: str, text: str) -> bool:
    if secret.isdigit():  # short codes: only as a whole number, not inside an id or a hash
        return re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text) is not None
    return secret in text


async def test_a_full_flow_leaves_no_secret_in_logs_or_audit(app, client, clock, settings, caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    email = "secretive@example.com"
    secrets: list[str] = [DEFAULT_PASSWORD, "wrong horse battery 99"]
    registered = await register(client, email)
    assert registered.status_code == 201
    handle = registered.json()["registration"]
    code, link_token = read_verification_mail(settings, to=email)
    secrets += [code, code[:3] + " " + code[3:], link_token]
    secrets.append(handle)
    await client.post(f"{API}/verify-email", json={"email": email, "code": f"{(int(code) + 1) % 10**6:06d}",
                                                   "registration": handle})
    assert (await client.post(f"{API}/verify-email", json={"email": email, "code": code,
                                                           "registration": handle})).status_code == 200
    await client.post(f"{API}/login", json={"email": email, "password": "wrong horse battery 99"})
    tokens = await login(client, email)
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    enroll = (await client.post(f"{API}/mfa/enroll", headers=bearer(tokens["access_token"]))).json()
    secrets += [enroll["secret"], enroll["otpauth_uri"]]
    confirm_code = totp_code(enroll["secret"], clock)
    recovery = (await client.post(f"{API}/mfa/enroll/confirm", headers=bearer(tokens["access_token"]),
                                  json={"code": confirm_code})).json()["recovery_codes"]
    secrets += [confirm_code, *recovery]
    first = await login(client, email)
    secrets.append(first["mfa_token"])
    replayed = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"], "code": confirm_code})
    assert replayed.json()["code"] == "code_reused"
    mfa = await client.post(f"{API}/mfa/challenge", json={"mfa_token": first["mfa_token"],
                                                           "recovery_code": recovery[0]})
    assert mfa.status_code == 200
    secrets += [mfa.json()["access_token"], mfa.json()["refresh_token"]]
    rotated = (await client.post(f"{API}/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    secrets += [rotated["access_token"], rotated["refresh_token"]]
    reuse = await client.post(f"{API}/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reuse.json()["code"] == "refresh_reused"
    await client.post(f"{API}/logout", headers=bearer(mfa.json()["access_token"]))

    assert len(caplog.records) > 20, "the loggers under test should have said something"
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    async with app.state.runtime.sessionmaker() as db:
        events = (await db.execute(select(AuditEvent))).scalars().all()
    audited = "\n".join(repr((e.action, e.actor_email, e.target, e.client_addr, e.detail)) for e in events)
    assert {"auth.registered", "auth.email_verified", "auth.login", "auth.login_failed", "mfa.enrolled",
            "mfa.code_reused", "mfa.recovery_code_used", "auth.refresh_reused", "session.revoked"} <= \
        {e.action for e in events}
    for secret in secrets:
        assert not _present(secret, logged), "a secret was logged"
        assert not _present(secret, audited), "a secret was audited"
