"""Access tokens: Ed25519 JWT with kid; tampered, foreign, expired or revoked ones -> 401."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

from server.keys import SigningKey
from tests.server.flows import API, bearer, register_and_verify


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload))),
            signature)


@pytest.fixture
async def account(client, settings):
    return await register_and_verify(client, settings)


async def me_status(client, token: str) -> tuple[int, str]:
    r = await client.get(f"{API}/me", headers=bearer(token))
    return r.status_code, r.json().get("code", "ok")


async def test_access_token_claims_and_jwks(client, account, settings):
    header, claims, _ = _parts(account["access_token"])
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert header["alg"] == "EdDSA" and header["kid"] == jwks["keys"][0]["kid"]
    assert {"sub", "tid", "tier", "role", "scopes", "license_key", "sid", "amr", "iss", "aud", "iat", "exp"} <= set(claims)
    assert claims["aud"] == settings.audience and claims["iss"] == settings.issuer
    assert claims["exp"] - claims["iat"] == 3600 and claims["sid"] == account["session_id"]
    key = jwt.PyJWK(jwks["keys"][0])
    # The test clock is not the wall clock: check the signature and audience, not the times.
    decoded = jwt.decode(account["access_token"], key.key, algorithms=["EdDSA"], audience=settings.audience,
                         options={"verify_iat": False, "verify_exp": False})
    assert decoded["sub"] == account["user_id"]


async def test_genuine_token_is_accepted(client, account):
    assert await me_status(client, account["access_token"]) == (200, "ok")


async def test_alg_none_is_rejected(client, account):
    header, claims, _ = _parts(account["access_token"])
    forged = f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}."
    assert await me_status(client, forged) == (401, "token_invalid")


async def test_hs256_signed_with_the_public_key_is_rejected(client, account):
    header, claims, _ = _parts(account["access_token"])
    public_x = (await client.get("/.well-known/jwks.json")).json()["keys"][0]["x"]
    forged = jwt.encode(claims, public_x, algorithm="HS256", headers={"kid": header["kid"]})
    assert await me_status(client, forged) == (401, "token_invalid")


async def test_token_signed_by_another_key_with_our_kid_is_rejected(client, account):
    header, claims, _ = _parts(account["access_token"])
    other = SigningKey.generate()
    other.kid = header["kid"]
    assert await me_status(client, other.sign(claims)) == (401, "token_invalid")


async def test_changed_claims_break_the_signature(client, account):
    header, claims, signature = _parts(account["access_token"])
    forged = f"{_b64(header)}.{_b64({**claims, 'role': 'support'})}.{signature}"
    assert await me_status(client, forged) == (401, "token_invalid")


@pytest.mark.parametrize("claim, value", [("aud", "someone-else"), ("iss", "https://evil.example")])
async def test_wrong_audience_or_issuer_is_rejected(client, app, account, claim, value):
    _, claims, _ = _parts(account["access_token"])
    forged = app.state.runtime.signing_key.sign({**claims, claim: value})
    assert await me_status(client, forged) == (401, "token_invalid")


async def test_expired_token_is_rejected(client, clock, account):
    clock.advance(3599)
    assert (await me_status(client, account["access_token"]))[0] == 200
    clock.advance(1)
    assert await me_status(client, account["access_token"]) == (401, "token_expired")


async def test_garbage_is_rejected(client):
    assert await me_status(client, "not.a.jwt") == (401, "token_invalid")


@pytest.mark.parametrize("claims, typ", [
    ({"sub": "u1", "aud": "coditect", "iss": "https://x", "iat": 1, "exp": 2, "amr": ["pwd", "otp"]}, "JWT"),
    ({"seat_id": "s", "license_key": "CODI-X", "tier": "team", "tid": "t", "sub": "u", "hardware_id": "hé/\u2603",
      "kind": "desktop", "iat": 1790000000, "exp": 1790600000}, "lease"),
    ({"keys": [{"kty": "OKP", "x": "abc"}], "iat": 5}, "jwks+rotation"),
])
def test_our_signature_is_the_one_pyjwt_gives_byte_for_byte(claims, typ):
    key = SigningKey.generate()
    expected = jwt.encode(claims, key._private, algorithm="EdDSA", headers={"kid": key.kid, "typ": typ})
    assert key.sign(claims, typ=typ) == expected
    assert key.sign(claims, typ=typ) == expected  # the header segment remembered
