"""Offline lease verification (server.schemas.lease): every reason, and the server's leases."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from server.keys import SigningKey
from server.schemas.lease import verify_lease
from tests.server.principals import make_principal

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
KEY = SigningKey.generate()


def _claims(**overrides) -> dict:
    claims = {"seat_id": "s1", "license_key": "CODITECT-PRO-XXXX", "tier": "pro", "tid": "t1", "sub": "u1",
              "hardware_id": "hw-1", "iat": int(NOW.timestamp()), "exp": int((NOW + timedelta(days=7)).timestamp())}
    claims.update(overrides)
    return claims


def _lease(key: SigningKey = KEY, typ: str = "lease", **overrides) -> str:
    return key.sign(_claims(**overrides), typ=typ)


def check(token, *, jwks=None, hardware_id="hw-1", now=NOW):
    return verify_lease(token, KEY.jwks() if jwks is None else jwks, hardware_id=hardware_id, now=now)


def test_a_good_lease_is_valid_until_it_expires():
    result = check(_lease())
    assert (result.valid, result.reason) == (True, "ok")
    assert result.claims["seat_id"] == "s1" and result.expires_at == NOW + timedelta(days=7)
    assert check(_lease(), now=NOW + timedelta(days=7, seconds=-1)).valid


def test_expired():
    result = check(_lease(), now=NOW + timedelta(days=7))
    assert (result.valid, result.reason) == (False, "expired")


def test_issued_in_the_future_beyond_five_minutes_is_clock_tampering():
    assert check(_lease(), now=NOW - timedelta(seconds=300)).reason == "ok"
    result = check(_lease(), now=NOW - timedelta(seconds=301))
    assert (result.valid, result.reason) == (False, "issued_in_future")


def test_other_hardware():
    result = check(_lease(), hardware_id="hw-2")
    assert (result.valid, result.reason) == (False, "other_hardware")


def test_unknown_kid():
    result = check(_lease(), jwks=SigningKey.generate().jwks())
    assert (result.valid, result.reason) == (False, "unknown_kid")
    assert check(_lease(), jwks={}).reason == "unknown_kid"


def test_a_changed_claim_breaks_the_signature():
    head, payload, sig = _lease().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["hardware_id"] = "hw-2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    result = check(f"{head}.{forged}.{sig}", hardware_id="hw-2")
    assert (result.valid, result.reason) == (False, "bad_signature")


def test_a_lease_signed_by_another_key_under_our_kid_is_a_bad_signature():
    impostor = SigningKey.generate()
    impostor.kid = KEY.kid
    token = jwt.encode(_claims(), impostor._private, algorithm="EdDSA", headers={"kid": KEY.kid, "typ": "lease"})
    assert check(token).reason == "bad_signature"


@pytest.mark.parametrize("token", [
    "", "not a token", "a.b.c",
    _lease(typ="JWT"),  # an access token is not a lease
    KEY.sign({k: v for k, v in _claims().items() if k != "hardware_id"}, typ="lease"),
    _lease(exp="soon"),
    jwt.encode(_claims(), "secret-secret-secret-secret-secret", algorithm="HS256",
               headers={"kid": KEY.kid, "typ": "lease"}),
], ids=["empty", "words", "three-dots", "access-token", "no-hardware-id", "exp-not-a-number", "hs256"])
def test_malformed(token):
    result = check(token)
    assert (result.valid, result.reason) == (False, "malformed")


ACQUIRE, HEARTBEAT = "/api/v1/licenses/acquire", "/api/v1/licenses/heartbeat"


async def test_the_servers_lease_verifies_offline_and_lasts_seven_days_from_the_last_heartbeat(app, client, clock):
    owner = await make_principal(app)
    jwks = (await client.get("/.well-known/jwks.json")).json()
    seat = (await client.post(ACQUIRE, json={"hardware_id": "hw-1"}, headers=owner["headers"])).json()
    result = verify_lease(seat["lease_token"], jwks, hardware_id="hw-1", now=clock.now())
    assert result.valid, result.reason
    assert result.claims["sub"] == owner["user_id"] and result.claims["tid"] == owner["tenant_id"]
    assert result.claims["seat_id"] == seat["seat_id"] and result.claims["tier"] == "free"
    assert result.claims["license_key"] == seat["license_key"]
    assert result.expires_at == clock.now() + timedelta(days=7)
    assert seat["expires_at"].replace("Z", "+00:00") == result.expires_at.isoformat()
    assert jwt.get_unverified_header(seat["lease_token"])["typ"] == "lease"

    clock.advance(300)
    fresh = (await client.put(HEARTBEAT, json={"seat_id": seat["seat_id"]}, headers=owner["headers"])).json()
    renewed = verify_lease(fresh["lease_token"], jwks, hardware_id="hw-1", now=clock.now())
    assert renewed.valid and renewed.expires_at == clock.now() + timedelta(days=7)
    # Offline for a week after that heartbeat: the lease runs out.
    assert verify_lease(fresh["lease_token"], jwks, hardware_id="hw-1",
                        now=clock.now() + timedelta(days=7)).reason == "expired"


async def test_a_lease_never_outlives_its_license(app, client, clock):
    from tests.server.principals import make_license

    owner = await make_principal(app)
    ends = clock.now() + timedelta(days=2)
    key = await make_license(app, "pro", tenant_id=owner["tenant_id"], expires_at=ends)
    seat = (await client.post(ACQUIRE, json={"hardware_id": "hw-1", "license_key": key},
                              headers=owner["headers"])).json()
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert verify_lease(seat["lease_token"], jwks, hardware_id="hw-1", now=clock.now()).expires_at == ends


def test_the_lease_check_imports_neither_fastapi_nor_sqlalchemy():
    import subprocess
    import sys

    code = ("import sys, server.schemas.lease\n"
            "print([m for m in ('fastapi', 'sqlalchemy', 'starlette') if m in sys.modules])")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
