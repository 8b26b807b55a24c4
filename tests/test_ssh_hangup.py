"""Over SSH: when the connection drops, the console exits cleanly and gives its seat back.

A real OpenSSH server on 127.0.0.1 (its own host key, one authorized key, its own config),
a real ssh client with a pty (`ssh -tt`, TERM=xterm-256color) running the console against a
served API (uvicorn on 127.0.0.1) as a returning, signed-in user who holds a seat. The ssh
client is killed; the console must be gone within a few seconds, its seat released by the
user's own session (the sign-in stays saved), and nothing logged as a failure.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.models import User
from server.services.tokens import open_session
from tests.conftest import free_port
from tests.server.flows import enroll_mfa
from tests.server.principals import app_beside, make_license, make_principal
from tui.config import AppConfig
from tui.credentials import CredentialStore, sign_in_scope
from tui.install_choice import save_choice

SSHD, SSH, KEYGEN = "/usr/sbin/sshd", shutil.which("ssh"), shutil.which("ssh-keygen")
REPO = Path(__file__).resolve().parents[1]
API = "/api/v1"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(SSHD) and SSH and KEYGEN) and not os.environ.get("CI"),
    reason="OpenSSH (openssh-server, openssh-client) is not installed",
)


def _wait(predicate, what: str, timeout: float = 30.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def sshd(tmp_path):
    """sshd -D on 127.0.0.1 -> (port, client key path, user). Key-only, no PAM (a container's
    root often has no password: '*' is fine, '!' would be a locked account), StrictModes off
    (pytest's tmp dirs sit under the world-writable /tmp)."""
    if not (os.path.exists(SSHD) and SSH and KEYGEN):
        pytest.fail("OpenSSH is not installed (CI installs openssh-server)")
    etc = tmp_path / "sshd"
    etc.mkdir(mode=0o755)
    os.chmod(etc, 0o755)
    for name in ("host_key", "client_key"):
        subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(etc / name)], check=True)
    authorized = etc / "authorized_keys"
    shutil.copy(etc / "client_key.pub", authorized)
    os.chmod(authorized, 0o644)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation dir
    port = free_port()
    config = etc / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {etc / 'host_key'}\nPidFile {etc / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
        "PrintMotd no\nPrintLastLog no\nX11Forwarding no\nAllowTcpForwarding no\nLogLevel VERBOSE\n"
    )
    log = open(etc / "sshd.log", "wb")
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config), "-p", str(port)], stdout=log, stderr=log)
    try:
        _wait(lambda: _port_open(port) or server.poll() is not None, "sshd to listen")
        if server.poll() is not None:
            pytest.fail(f"sshd did not start: {(etc / 'sshd.log').read_text()}")
        yield port, etc / "client_key", getpass.getuser()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _console_pids(marker: str) -> list[int]:
    """Processes whose command line holds `marker` (this test's data dir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and "console.cli" in cmdline and "ssh " not in cmdline:
            pids.append(int(entry.name))
    return pids


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent (sshd) to collect its status."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


async def _returning_user(app, tmp_path: Path, url: str) -> dict:
    """An owner who signed in with a second factor on this machine earlier and holds a seat
    here: the refresh token saved as the app saves it, the lease cached in the data dir."""
    from tui.session import AccountSession

    owner = await make_principal(app, role="owner", email="ops@acme.example")
    await make_license(app, "pro", tenant_id=owner["tenant_id"])
    admin = await make_principal(app, role="admin", tenant_id=owner["tenant_id"], email="admin@acme.example")
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await enroll_mfa(http, owner["access_token"], None)  # a real authenticator, as onboarding does
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        user = (await db.execute(select(User).where(User.id == owner["user_id"]))).scalar_one()
        tokens = await open_session(db, runtime, user, amr=["pwd", "otp"], device_name="jump host",
                                    client_addr="127.0.0.1")
        await db.commit()
    config = AppConfig(api_url=url, data_dir=tmp_path / "data", config_dir=tmp_path / "config", no_keyring=True)
    CredentialStore(config).set(sign_in_scope(config), "ops@acme.example", tokens.refresh_token)
    save_choice(config, f"{sign_in_scope(config)}|{owner['user_id']}", "later")  # onboarding finished: Home
    session = AccountSession(config)
    try:
        await session.start()
        status = await session.seat.acquire()
        assert status.has_seat, status
    finally:
        await session.close()
    return {"config": config, "seat_id": status.seat_id, "admin": admin}


def _seats(url: str, admin: dict) -> list[dict]:
    r = httpx.get(f"{url}{API}/admin/seats", headers=admin["headers"], timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["seats"]


def test_dropping_the_ssh_connection_ends_the_console_and_gives_the_seat_back(
        sshd, live_server, database_url, tmp_path):
    port, key, user = sshd
    server = live_server()
    app = app_beside(tmp_path / "live", database_url)

    async def prepare():
        try:
            return await _returning_user(app, tmp_path, server.url)
        finally:
            await app.state.runtime.close()

    world = asyncio.run(prepare())
    config, admin = world["config"], world["admin"]
    [before] = _seats(server.url, admin)
    assert before["id"] == world["seat_id"] and before["live"]

    remote = (f"cd {REPO} && CODITECT_CONFIG_DIR={config.config_dir} exec {sys.executable} -m console.cli "
              f"--api-url {server.url} --data-dir {config.data_dir} --no-keyring")
    screen = open(tmp_path / "ssh-screen.bin", "wb")
    client = subprocess.Popen(
        [SSH, "-tt", "-i", str(key), "-p", str(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"{user}@127.0.0.1", remote],
        stdin=subprocess.PIPE, stdout=screen, stderr=subprocess.STDOUT,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    marker = str(config.data_dir)
    try:
        pids = _wait(lambda: _console_pids(marker), "the console to start over SSH")
        # Started and holding the seat: its start-up heartbeat moves the seat's last heartbeat.
        _wait(lambda: _seats(server.url, admin)[0]["last_heartbeat_at"] != before["last_heartbeat_at"],
              "the console's start-up heartbeat", timeout=60, every=0.5)
        _wait(lambda: b"Sign out" in (tmp_path / "ssh-screen.bin").read_bytes(), "Home on the SSH terminal")
        assert client.poll() is None

        client.kill()  # the connection drops: sshd hangs up the console's terminal
        client.wait(10)
        _wait(lambda: not _console_pids(marker), "the console to exit after the hang-up", timeout=20)
    finally:
        screen.close()
        if client.poll() is None:
            client.kill()
        for pid in _console_pids(marker):  # never leave one behind, even when the test failed
            os.kill(pid, 9)

    assert all(not _running(pid) for pid in pids)
    assert _seats(server.url, admin) == []  # given back, not waiting for the TTL
    r = httpx.get(f"{server.url}{API}/admin/audit", headers=admin["headers"], params={"action": "seat.released"})
    [released] = r.json()["events"]
    assert released["actor_email"] == "ops@acme.example"  # by the console itself, not an admin
    # The sign-in stays: the next start resumes without a password (and takes the seat back).
    assert CredentialStore(config).get(sign_in_scope(config), "ops@acme.example")
    log = config.data_dir / "console.log"
    assert "failed with" not in (log.read_text() if log.exists() else "")
