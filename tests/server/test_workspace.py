"""/api/v1/workspace: SSH keys, deployment credentials, container sessions (the gate's call).

Keys are made by the real ssh-keygen where it exists, so the fingerprint is checked against
what OpenSSH prints; the rest runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from server.models import DeploymentCredential
from tests.server.admin_world import API, audit_events, make_org
from tests.server.principals import make_principal

W = f"{API}/workspace"
# A fixed ed25519 public key and its fingerprint as `ssh-keygen -lf` prints it.
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDyd2hAHcXyl1vqHOOJm9tvzRlYk8y8xHGkxJNF+A1mT ada@laptop"


def _keygen(tmp_path, name="k") -> tuple[str, str]:
    """(public key line, fingerprint by ssh-keygen) of a fresh ed25519 key."""
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t@x", "-f", str(path)], check=True)
    out = subprocess.run(["ssh-keygen", "-lf", str(path) + ".pub"], check=True, capture_output=True, text=True)
    return (tmp_path / f"{name}.pub").read_text().strip(), out.stdout.split()[1]


async def add_key(client, principal, public_key, name="laptop"):
    return await client.post(f"{W}/ssh-keys", headers=principal["headers"], json={"public_key": public_key, "name": name})


async def mint(client, principal, name="workspace on laptop") -> str:
    r = await client.post(f"{W}/credentials", headers=principal["headers"], json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["credential"]


async def open_session(client, credential, fingerprint, hardware_id="ws-1"):
    return await client.post(f"{W}/sessions", headers={"Authorization": f"Bearer {credential}"},
                             json={"fingerprint": fingerprint, "hardware_id": hardware_id, "device_name": "ws"})


@pytest.fixture
async def org(app):
    return await make_org(app, "alpha")


async def test_a_key_is_registered_with_the_fingerprint_ssh_keygen_prints(client, org, tmp_path):
    line, fingerprint = _keygen(tmp_path)
    r = await add_key(client, org.member, line)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["fingerprint"] == fingerprint and body["key_type"] == "ssh-ed25519"
    assert body["public_key"] == " ".join(line.split()[:2])  # stored without the comment
    again = await add_key(client, org.member, line)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    listed = (await client.get(f"{W}/ssh-keys", headers=org.member["headers"])).json()
    assert [k["fingerprint"] for k in listed] == [fingerprint]
    # Another user sees none of them and cannot delete them.
    assert (await client.get(f"{W}/ssh-keys", headers=org.admin["headers"])).json() == []
    r = await client.delete(f"{W}/ssh-keys/{body['id']}", headers=org.admin["headers"])
    assert r.status_code == 404 and r.json()["code"] == "ssh_key_not_found"
    assert (await client.delete(f"{W}/ssh-keys/{body['id']}", headers=org.member["headers"])).status_code == 204
    assert (await client.get(f"{W}/ssh-keys", headers=org.member["headers"])).json() == []
    actions = [e.action for e in await audit_events(client._transport.app, org.tenant_id)]
    assert "ssh_key.added" in actions and "ssh_key.deleted" in actions


@pytest.mark.parametrize("text, words", [
    ("", "Paste a public key"),
    ("-----BEGIN OPENSSH PRIVATE KEY----- abc", "private key"),
    ("ssh-dss AAAAB3NzaC1kc3M= x", "Unsupported key type"),
    ("ssh-ed25519 not*base64", "not valid base64"),
    ("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIDyd2hAHcXyl1vqHOOJm9tvzRlYk8y8xHGkxJNF+A1mT", "does not match its type"),
])
async def test_a_bad_key_is_refused_in_words(client, org, text, words):
    r = await add_key(client, org.member, text or " ")
    assert r.status_code == 422 and r.json()["code"] == "ssh_key_invalid"
    assert words in r.json()["title"]


async def test_the_credential_is_shown_once_and_stored_hashed(app, client, org):
    secret = await mint(client, org.member)
    listed = (await client.get(f"{W}/credentials", headers=org.member["headers"])).json()
    assert len(listed) == 1 and "credential" not in listed[0] and listed[0]["revoked_at"] is None
    async with app.state.runtime.sessionmaker() as db:
        from sqlalchemy import select
        rows = (await db.execute(select(DeploymentCredential))).scalars().all()
    assert len(rows) == 1 and secret not in rows[0].token_hash and len(rows[0].token_hash) == 64
    events = await audit_events(app, org.tenant_id, "workspace.credential_created")
    assert len(events) == 1 and secret not in str(events[0].detail)


async def test_a_container_session_signs_in_and_holds_a_container_seat(client, org):
    await add_key(client, org.member, KEY)
    secret = await mint(client, org.member)
    r = await open_session(client, secret, "SHA256:" + _fp(KEY))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user_email"] == "dev@alpha.example" and body["seat"]["heartbeat_interval_s"] == 300
    me = (await client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})).json()
    assert me["amr"] == ["ssh", "container"] and me["session_id"] == body["session_id"]
    seats = (await client.get(f"{API}/admin/seats", headers=org.admin["headers"])).json()["seats"]
    [seat] = [s for s in seats if s["id"] == body["seat"]["seat_id"]]
    assert seat["kind"] == "container_session" and seat["holder_email"] == "dev@alpha.example"
    # The seat lives by heartbeats with the session's own token.
    hb = await client.put(f"{API}/licenses/heartbeat", headers={"Authorization": f"Bearer {body['access_token']}"},
                          json={"seat_id": body["seat"]["seat_id"]})
    assert hb.status_code == 200, hb.text


def _fp(line: str) -> str:
    from coditect.sshkey import parse_public_key
    return parse_public_key(line).fingerprint.removeprefix("SHA256:")


async def test_refusals_have_stable_codes_and_leave_nothing_behind(app, client, org):
    fingerprint = "SHA256:" + _fp(KEY)
    secret = await mint(client, org.member)
    r = await open_session(client, secret, fingerprint)
    assert r.status_code == 403 and r.json()["code"] == "key_not_registered"
    assert "dev@alpha.example" in r.json()["title"]
    r = await open_session(client, "cdw_wrong", fingerprint)
    assert r.status_code == 401 and r.json()["code"] == "credential_invalid"
    r = await client.post(f"{W}/sessions", json={"fingerprint": fingerprint, "hardware_id": "x"})
    assert r.status_code == 401 and r.json()["code"] == "credential_invalid"
    # Another user's key does not open this user's sessions.
    await add_key(client, org.owner, KEY)
    r = await open_session(client, secret, fingerprint)
    assert r.json()["code"] == "key_not_registered"
    refused = await audit_events(app, org.tenant_id, "workspace.session_refused")
    assert [e.detail["reason"] for e in refused] == ["key_not_registered", "key_not_registered"]
    sessions = (await client.get(f"{API}/admin/sessions", headers=org.admin["headers"],
                                 params={"user_id": org.member["user_id"]})).json()["sessions"]
    assert len(sessions) == 1  # only the member's own sign-in: refusals opened none


async def test_no_free_seat_refuses_and_opens_no_session(app, client):
    owner = await make_principal(app, role="owner")  # a free license: one seat
    await add_key(client, owner, KEY)
    secret = await mint(client, owner)
    first = await open_session(client, secret, "SHA256:" + _fp(KEY), "ws-a")
    assert first.status_code == 201
    second = await open_session(client, secret, "SHA256:" + _fp(KEY), "ws-b")
    assert second.status_code == 409 and second.json()["code"] == "no_seats_available"
    refused = await audit_events(app, owner["tenant_id"], "workspace.session_refused")
    assert [e.detail["reason"] for e in refused] == ["no_seats_available"]
    opened = await audit_events(app, owner["tenant_id"], "workspace.session_opened")
    assert len(opened) == 1


async def test_expired_license_is_refused(app, client, clock):
    from datetime import timedelta
    owner = await make_principal(app, role="owner")
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        from sqlalchemy import update
        from server.models import License
        await db.execute(update(License).where(License.tenant_id == owner["tenant_id"])
                         .values(expires_at=clock.now() - timedelta(days=1)))
        await db.commit()
    await add_key(client, owner, KEY)
    secret = await mint(client, owner)
    r = await open_session(client, secret, "SHA256:" + _fp(KEY))
    assert r.status_code == 403 and r.json()["code"] == "license_expired"


async def _heartbeat(client, body):
    return await client.put(f"{API}/licenses/heartbeat", headers={"Authorization": f"Bearer {body['access_token']}"},
                            json={"seat_id": body["seat"]["seat_id"]})


async def test_admin_revocation_disabling_and_credential_revocation_fail_the_next_heartbeat(client, org):
    await add_key(client, org.member, KEY)
    secret = await mint(client, org.member)
    fingerprint = "SHA256:" + _fp(KEY)

    one = (await open_session(client, secret, fingerprint, "ws-1")).json()
    assert (await client.delete(f"{API}/admin/sessions/{one['session_id']}", headers=org.admin["headers"])).status_code == 204
    r = await _heartbeat(client, one)
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"

    two = (await open_session(client, secret, fingerprint, "ws-2")).json()
    [cred] = (await client.get(f"{W}/credentials", headers=org.member["headers"])).json()
    assert (await client.delete(f"{W}/credentials/{cred['id']}", headers=org.member["headers"])).status_code == 204
    assert (await _heartbeat(client, two)).json()["code"] == "session_revoked"
    assert (await open_session(client, secret, fingerprint, "ws-3")).json()["code"] == "credential_invalid"

    secret = await mint(client, org.member)
    three = (await open_session(client, secret, fingerprint, "ws-4")).json()
    r = await client.patch(f"{API}/admin/users/{org.member['user_id']}", headers=org.admin["headers"],
                           json={"disabled": True})
    assert r.status_code == 200, r.text
    assert (await _heartbeat(client, three)).status_code == 401
    r = await open_session(client, secret, fingerprint, "ws-5")
    assert r.status_code == 403 and r.json()["code"] == "account_disabled"


async def test_deleting_the_key_ends_its_sessions(client, org):
    added = (await add_key(client, org.member, KEY)).json()
    secret = await mint(client, org.member)
    body = (await open_session(client, secret, "SHA256:" + _fp(KEY))).json()
    await client.delete(f"{W}/ssh-keys/{added['id']}", headers=org.member["headers"])
    assert (await _heartbeat(client, body)).json()["code"] == "session_revoked"


async def test_a_credential_is_of_its_own_user_only(client, org):
    secret = await mint(client, org.member)
    [cred] = (await client.get(f"{W}/credentials", headers=org.member["headers"])).json()
    r = await client.delete(f"{W}/credentials/{cred['id']}", headers=org.admin["headers"])
    assert r.status_code == 404 and r.json()["code"] == "credential_not_found"
    # The credential is no access token: it opens nothing else.
    r = await client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
