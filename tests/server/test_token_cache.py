"""Remembered token verifications never outlive what the database says: a revoked session,
a disabled account or an expired token is refused on the next request, cached or not."""

from __future__ import annotations

from sqlalchemy import update

from server.models import User
from tests.server.principals import make_principal

ME = "/api/v1/auth/me"


async def test_a_cached_token_of_a_revoked_session_is_refused_on_the_next_request(app, client):
    me = await make_principal(app)
    assert (await client.get(ME, headers=me["headers"])).status_code == 200
    assert app.state.runtime.verified_tokens.get(me["access_token"]) is not None  # cached
    assert (await client.post("/api/v1/auth/logout", headers=me["headers"])).status_code == 204
    r = await client.get(ME, headers=me["headers"])
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"


async def test_a_cached_token_of_a_disabled_account_is_refused(app, client):
    me = await make_principal(app)
    assert (await client.get(ME, headers=me["headers"])).status_code == 200
    async with app.state.runtime.sessionmaker() as db:
        await db.execute(update(User).where(User.id == me["user_id"]).values(disabled=True))
        await db.commit()
    r = await client.get(ME, headers=me["headers"])
    assert r.status_code == 401 and r.json()["code"] == "account_disabled"


async def test_a_cached_token_expires_with_the_clock(app, client, clock, settings):
    me = await make_principal(app)
    assert (await client.get(ME, headers=me["headers"])).status_code == 200
    clock.advance(settings.access_token_ttl_s)
    r = await client.get(ME, headers=me["headers"])
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


async def test_a_tampered_copy_of_a_cached_token_is_not_accepted(app, client):
    me = await make_principal(app)
    assert (await client.get(ME, headers=me["headers"])).status_code == 200
    head, payload, signature = me["access_token"].split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    r = await client.get(ME, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["code"] == "token_invalid"


async def test_revocation_through_the_seat_routes_too(app, client):
    """The light caller of the seat routes checks the session like every other route."""
    me = await make_principal(app)
    assert (await client.get("/api/v1/licenses", headers=me["headers"])).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=me["headers"])).status_code == 204
    r = await client.post("/api/v1/licenses/acquire", headers=me["headers"], json={"hardware_id": "hw"})
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
