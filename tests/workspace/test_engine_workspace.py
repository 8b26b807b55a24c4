"""The Docker workspace end to end on a real engine: deployed through the console's own
deploy code (tui.workspace.deploy), reached with the real OpenSSH client on 127.0.0.1.

The API runs with a 2 s heartbeat and an 8 s seat TTL, so "released promptly" (by the gate)
and "reclaimed by the TTL" can be told apart by the seat's released_reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import free_port
from tests.workspace.conftest import HEARTBEAT_S
from tests.workspace.world import first_line, make_world, ssh, ssh_background
from tui.api import ApiClient, Tokens
from tui.workspace.deploy import Deployer, Plan

pytestmark = pytest.mark.engine

SESSION_INFO = "python3 -c 'import json, os; print(json.dumps(json.load(open(os.environ[\"CODITECT_SESSION\"]))))'"


class Deployed:
    def __init__(self, world, deployer, events, written, result, tmp):
        self.world, self.deployer, self.events, self.written, self.result = world, deployer, events, written, result
        self.key = deployer.key.private_path
        self.port = deployer.port
        self.container = f"{deployer.plan.project}-workspace-1"
        self.tmp = tmp


def _client(world, session: dict | None = None) -> ApiClient:
    session = session or world.member
    client = ApiClient(world.api_url)
    client.tokens = Tokens(session["access_token"], "not-used", time.time() + 3600, session["session_id"])
    return client


@pytest.fixture(scope="module")
def deployed(api_server, base_image, tmp_path_factory):
    world = make_world(api_server)
    tmp = tmp_path_factory.mktemp("ws")
    plan = Plan(folder=tmp / "deployment", ssh_dir=tmp / "ssh", api_url=world.api_url, port=free_port(),
                base_image=base_image, host_network=True, project=f"cwtest{os.getpid()}")
    events = []

    async def deploy():
        client = _client(world)
        try:
            deployer = Deployer(client, plan)
            preflight = deployer.preflight()
            assert preflight.ok, [(c.name, c.failure) for c in preflight.checks if not c.ok]
            await deployer.register_key()
            written = await deployer.write_folder()
            result = await deployer.up(preflight.compose, events.append)
            return deployer, preflight, written, result
        finally:
            await client.aclose()

    deployer, preflight, written, result = asyncio.run(deploy())
    deployed = Deployed(world, deployer, events, written, result, tmp)
    yield deployed

    fresh = world.new_member_session()

    async def remove():
        client = _client(world, fresh)
        try:
            deployer.api = client
            return await deployer.remove(preflight.compose, lambda e: None)
        finally:
            await client.aclose()

    assert asyncio.run(remove()).ok


def test_deploy_reports_progress_and_ends_with_the_ssh_line(deployed):
    assert deployed.result.ok, deployed.result.log[-20:]
    assert any(e.total and e.done == e.total for e in deployed.events)
    assert any("Healthy" in e.log for e in deployed.events)
    assert deployed.deployer.ssh_line() == (
        f"ssh -i {deployed.key} -p {deployed.port} coditect@127.0.0.1")
    folder = deployed.deployer.plan.folder
    assert oct(os.stat(folder / "credential").st_mode & 0o777) == "0o600"
    assert oct(os.stat(deployed.key).st_mode & 0o777) == "0o600"


def test_a_session_holds_a_seat_and_a_clean_exit_releases_it(deployed):
    world = deployed.world
    r = ssh(deployed.key, deployed.port, SESSION_INFO + "; stat -c '%a %U' \"$CODITECT_SESSION\"")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    info = json.loads(lines[0])
    assert set(info) == {"api_url", "access_token", "session_id", "seat_id", "lease_token", "hardware_id",
                         "user_email"}
    assert info["user_email"] == "dev@ws.example" and lines[1] == "600 coditect"
    row = world.wait_released(info["seat_id"], within_s=10)
    assert row.kind == "container_session" and row.released_reason == "released"
    # The session file went with the session (the sticky directory is empty again).
    left = subprocess.run(["docker", "exec", deployed.container, "find", "/run/coditect/sessions", "-type", "f"],
                          capture_output=True, text=True)
    assert left.returncode == 0 and left.stdout == ""


def test_the_seat_is_visible_to_the_admin_while_the_session_lives(deployed):
    world = deployed.world
    proc = ssh_background(deployed.key, deployed.port, SESSION_INFO + "; sleep 120")
    try:
        info = json.loads(first_line(proc))
        seats = world.live_container_seats()
        assert [s["id"] for s in seats] == [info["seat_id"]]
        assert seats[0]["holder_email"] == "dev@ws.example"
        # The single seat of the license is taken: a second session is refused in one line.
        second = ssh(deployed.key, deployed.port, "true")
        assert second.returncode == 75
        assert second.stderr.strip() == ("coditect: no license seat is free. Ask your administrator to free or add "
                                         "a seat, then connect again.")
    finally:
        proc.kill()
        proc.wait()
    # A killed client: sshd sees the connection close, the gate releases (not the TTL).
    row = world.wait_released(info["seat_id"], within_s=20)
    assert row.released_reason == "released", row.released_reason


def test_a_session_revoked_by_an_admin_ends_within_one_heartbeat(deployed):
    world = deployed.world
    proc = ssh_background(deployed.key, deployed.port, SESSION_INFO + "; sleep 120")
    try:
        info = json.loads(first_line(proc))
        assert world.admin_delete(f"/admin/sessions/{info['session_id']}") == 204
        # One heartbeat (2 s) plus the time to end the shell; the remote `sleep 120` would run on.
        proc.wait(timeout=HEARTBEAT_S * 3 + 5)
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "coditect: this session was ended by CODITECT" in stderr
    assert world.seat_row(info["seat_id"]).released_reason == "session_revoked"


def test_password_and_keyboard_interactive_logins_are_refused(deployed):
    r = ssh(deployed.key, deployed.port, "true",
            extra=("-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"))
    assert r.returncode == 255
    assert "Permission denied (publickey)" in r.stderr


def test_an_unregistered_key_is_refused_with_the_reason(deployed, tmp_path):
    key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    public = (tmp_path / "other.pub").read_text().strip()
    # Authorized in the container (sshd lets it in), but not registered to the user's account.
    subprocess.run(["docker", "exec", deployed.container, "sh", "-c",
                    f"echo '{public}' >> /var/lib/coditect/authorized_keys/coditect"], check=True)
    r = ssh(key, deployed.port, "true")
    assert r.returncode == 77
    assert r.stderr.strip().startswith("coditect: this SSH key is not registered to your CODITECT account.")
    assert deployed.world.live_container_seats() == []


def test_sftp_passes_the_gate_too(deployed, tmp_path):
    batch = tmp_path / "batch"
    batch.write_text("pwd\n")
    r = subprocess.run(["sftp", "-i", str(deployed.key), "-P", str(deployed.port), "-o", "StrictHostKeyChecking=no",
                        "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-b", str(batch),
                        "coditect@127.0.0.1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "/home/coditect" in r.stdout


def test_the_user_cannot_read_the_deployment_credential(deployed):
    r = ssh(deployed.key, deployed.port, "cat /etc/coditect/credential /run/secrets/coditect_credential")
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert "cdw_" not in r.stdout


def test_sshd_accepts_the_configuration_and_it_is_hardened(deployed):
    assert subprocess.run(["docker", "exec", deployed.container, "sshd", "-t"]).returncode == 0
    effective = subprocess.run(["docker", "exec", deployed.container, "sshd", "-T", "-C",
                                "user=coditect,host=x,addr=127.0.0.1"], capture_output=True, text=True).stdout
    for line in ("passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin no",
                 "allowusers coditect", "exposeauthinfo yes", "forcecommand /usr/local/bin/coditect-session-gate",
                 "clientaliveinterval 60", "clientalivecountmax 3", "disableforwarding yes",
                 f"listenaddress 127.0.0.1:{deployed.port}"):
        assert line in effective, line


def test_deploying_again_updates_in_place(deployed):
    """Same folder, same credential, same host key: the second run is an update."""
    world = deployed.world
    folder = deployed.deployer.plan.folder
    credential_before = (folder / "credential").read_text()
    host_key_before = subprocess.run(["docker", "exec", deployed.container, "cat",
                                      "/var/lib/coditect/hostkeys/ssh_host_ed25519_key.pub"],
                                     capture_output=True, text=True).stdout

    async def again():
        client = _client(world)
        try:
            deployer = Deployer(client, deployed.deployer.plan)
            preflight = deployer.preflight()
            assert preflight.ok, [(c.name, c.failure) for c in preflight.checks if not c.ok]
            await deployer.register_key()
            await deployer.write_folder()
            return await deployer.up(preflight.compose, lambda e: None)
        finally:
            await client.aclose()

    assert asyncio.run(again()).ok
    assert (folder / "credential").read_text() == credential_before
    assert subprocess.run(["docker", "exec", deployed.container, "cat",
                           "/var/lib/coditect/hostkeys/ssh_host_ed25519_key.pub"],
                          capture_output=True, text=True).stdout == host_key_before
    keys = subprocess.run(["docker", "exec", deployed.container, "cat", "/var/lib/coditect/authorized_keys/coditect"],
                          capture_output=True, text=True).stdout
    assert keys.count(deployed.deployer.key.public_line.split()[1]) == 1
    assert ssh(deployed.key, deployed.port, "true").returncode == 0


def test_coditect_run_inside_the_workspace_counts_against_the_quota(deployed):
    world = deployed.world
    import httpx

    def used() -> int:
        r = httpx.get(world.api_url + "/api/v1/usage/commands", headers=world.member["headers"], timeout=10)
        r.raise_for_status()
        return r.json()["used"]

    before = used()
    r = ssh(deployed.key, deployed.port, "coditect run -- echo hello-from-the-workspace")
    assert r.returncode == 0, r.stderr
    assert "hello-from-the-workspace" in r.stdout
    assert used() == before + 1


def test_a_pty_session_whose_client_is_killed_gives_its_seat_back(deployed):
    world = deployed.world
    from tests.workspace.world import ssh_argv

    proc = subprocess.Popen(ssh_argv(deployed.key, deployed.port, SESSION_INFO + "; sleep 120", extra=("-tt",)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        info = json.loads(first_line(proc))
        assert world.live_container_seats()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert world.wait_released(info["seat_id"], within_s=20).released_reason == "released"


def test_disabling_the_user_ends_the_session_within_one_heartbeat(deployed):
    import httpx

    world = deployed.world
    user = f"{world.api_url}/api/v1/admin/users/{world.member['user_id']}"
    proc = ssh_background(deployed.key, deployed.port, SESSION_INFO + "; sleep 120")
    try:
        info = json.loads(first_line(proc))
        assert httpx.patch(user, headers=world.owner["headers"], json={"disabled": True}).status_code == 200
        proc.wait(timeout=HEARTBEAT_S * 3 + 5)
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        httpx.patch(user, headers=world.owner["headers"], json={"disabled": False})
    assert "coditect: this session was ended by CODITECT" in stderr
    assert world.seat_row(info["seat_id"]).released_at is not None


def test_a_session_outlives_its_access_tokens_because_the_gate_refreshes_them(deployed):
    """The API issues 8 s access tokens here; a 20 s session keeps working to its end."""
    from tests.workspace.conftest import ACCESS_TOKEN_TTL_S

    script = (SESSION_INFO + f"; sleep {ACCESS_TOKEN_TTL_S * 2 + 4}; " + SESSION_INFO +
              "; coditect run -- echo still-licensed")
    r = ssh(deployed.key, deployed.port, script, timeout=120)
    assert r.returncode == 0, r.stderr
    first, last, ran = r.stdout.strip().splitlines()
    assert json.loads(first)["access_token"] != json.loads(last)["access_token"]
    assert json.loads(first)["seat_id"] == json.loads(last)["seat_id"]
    assert ran == "still-licensed"
    assert deployed.world.seat_row(json.loads(first)["seat_id"]).released_reason == "released"
