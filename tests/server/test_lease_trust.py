"""Offline lease trust (server.schemas.lease_trust): pinned keys, rotation statements
and the highest time seen; and the server's rotation of its signing key."""

from __future__ import annotations


from server.keys import SigningKey, retired_signing_keys, rotate_signing_key
from server.schemas.lease_trust import CLOCK_TOLERANCE_S, ROTATION_TYP, Trust, check_offline, first_pin, rotate
from tests.server.test_lease import KEY, NOW, _lease

T0 = NOW.timestamp()
DAY = 86400


def pinned(key: SigningKey = KEY, seen: float = T0) -> Trust:
    return first_pin(key.jwks(), seen)


def test_a_genuine_lease_works_offline_for_seven_days():
    trust = pinned()
    assert check_offline(_lease(), trust, hardware_id="hw-1", now=T0).reason == "ok"
    assert check_offline(_lease(), trust, hardware_id="hw-1", now=T0 + 7 * DAY - 1).valid
    assert check_offline(_lease(), trust, hardware_id="hw-1", now=T0 + 7 * DAY).reason == "expired"


def test_a_forged_lease_with_its_own_key_is_refused():
    forger = SigningKey.generate()
    forged = _lease(forger, tier="enterprise", exp=4102444800)  # 2100-01-01
    result = check_offline(forged, pinned(), hardware_id="hw-1", now=T0)
    assert not result.valid and result.reason == "unknown_kid"


def test_a_clock_set_back_is_refused_and_a_held_clock_does_not_stretch_the_grace():
    trust = pinned().seen(T0 + 3 * DAY)
    assert check_offline(_lease(), trust, hardware_id="hw-1", now=T0 + 3 * DAY - CLOCK_TOLERANCE_S).valid
    result = check_offline(_lease(), trust, hardware_id="hw-1", now=T0 + DAY)
    assert not result.valid and result.reason == "clock_set_back"
    # Time the client has lived through counts even when the clock says otherwise.
    held = pinned().seen(T0 + 8 * DAY)
    assert check_offline(_lease(), held, hardware_id="hw-1", now=T0 + 8 * DAY).reason == "expired"


def test_no_pin_no_offline_lease():
    assert check_offline(_lease(), None, hardware_id="hw-1", now=T0).reason == "not_pinned"


def test_highest_seen_never_goes_down():
    trust = pinned(seen=T0 + 100)
    assert trust.seen(T0, None).highest_seen == T0 + 100
    assert trust.seen(T0 + 200, T0 + 150).highest_seen == T0 + 200


def test_a_record_round_trips_and_garbage_is_no_record():
    trust = pinned()
    assert Trust.from_json(trust.to_json()) == trust
    for bad in (None, [], {"version": 1}, {"version": 1, "jwks": {"keys": []}, "highest_seen": 1},
                {"version": 1, "jwks": KEY.jwks(), "highest_seen": "1"}, {**trust.to_json(), "version": 2}):
        assert Trust.from_json(bad) is None


def test_a_rotation_signed_by_a_pinned_key_replaces_the_pin():
    new = SigningKey.generate()
    statement = new.rotation_statements([KEY], int(T0))
    rotated = rotate(pinned(seen=T0 + 5), statement)
    assert rotated.jwks == new.jwks() and rotated.highest_seen == T0 + 5
    assert check_offline(_lease(new), rotated, hardware_id="hw-1", now=T0).valid
    assert check_offline(_lease(KEY), rotated, hardware_id="hw-1", now=T0).reason == "unknown_kid"


def test_a_rotation_nobody_pinned_vouches_for_is_refused():
    stranger, new = SigningKey.generate(), SigningKey.generate()
    assert rotate(pinned(), new.rotation_statements([stranger], int(T0))) is None
    # A lease or an access token signed by a pinned key is no rotation statement.
    assert rotate(pinned(), [KEY.sign({"keys": new.jwks()["keys"]}, typ="lease")]) is None
    assert rotate(pinned(), [KEY.sign({"keys": []}, typ=ROTATION_TYP)]) is None
    assert rotate(pinned(), ["garbage", None, 42]) is None and rotate(pinned(), "not a list") is None


async def test_the_server_vouches_for_its_new_key_with_the_retired_one(settings, client):
    r = await client.get("/.well-known/jwks-rotation.json")
    assert r.status_code == 200 and r.json() == {"statements": []}
    old_jwks = (await client.get("/.well-known/jwks.json")).json()
    trust = first_pin(old_jwks, T0)
    new = rotate_signing_key(settings.keys_dir)
    assert [k.kid for k in retired_signing_keys(settings.keys_dir)] == [old_jwks["keys"][0]["kid"]]
    assert (settings.keys_dir / "retired-signing").stat().st_mode & 0o077 == 0

    from tests.conftest import serving

    async with serving(settings) as (_app, restarted):
        statements = (await restarted.get("/.well-known/jwks-rotation.json")).json()["statements"]
        served = (await restarted.get("/.well-known/jwks.json")).json()
    assert served == new.jwks()
    assert rotate(trust, statements).jwks == served
    assert new.kid != old_jwks["keys"][0]["kid"]
