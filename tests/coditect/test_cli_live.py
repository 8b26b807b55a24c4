"""`coditect run` / `coditect status` against the real API (uvicorn on 127.0.0.1).

The agent state is written by the console's own code (tui/install/agent.py) with a real
agent session; the command then works on its own: refresh-token rotation, the seat, the
quota, the offline grace with pinned keys, and every refusal's exit code.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from coditect import cli
from coditect.license import (
    EXIT_LEASE_INVALID, EXIT_NOT_SIGNED_IN, EXIT_QUOTA_SPENT, EXIT_SEAT_GONE,
)
from server.keys import SigningKey
from tests.conftest import free_port
from tests.server.flows import API, bearer, register_and_verify
from tui.api import ApiClient, Tokens
from tui.config import AppConfig
from tui.install.agent import sign_in_agent, sign_out_agent

HW = "c0de" * 16
DAY = 86400


@pytest.fixture
def server(live_server):
    return live_server(process=False)


class Mac:
    """One user's console + the coditect command's agent state in a temp home."""

    def __init__(self, server, tmp_path: Path) -> None:
        self.server, self.tmp = server, tmp_path
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.config = AppConfig(api_url=server.url, data_dir=tmp_path / "console-data",
                                config_dir=tmp_path / "console-config", no_keyring=True)

    async def sign_up(self) -> None:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=30) as client:
            self.account = await register_and_verify(client, self.tmp / "live" / "outbox")
        self.api = ApiClient(self.server.url)
        self.api.tokens = Tokens(self.account["access_token"], self.account["refresh_token"], time.time() + 3000,
                                 self.account["session_id"])
        self.state = await sign_in_agent(self.api, self.config, hardware_id=HW, device_name="test mac",
                                         user_email=self.account["email"])

    @property
    def env(self) -> dict:
        return {"HOME": str(self.home), "CODITECT_AGENT_STATE": str(self.state), "PATH": "/usr/bin:/bin"}

    def run(self, *argv: str, clock=time.time) -> int:
        return cli.main(["run", "--", *argv], env=self.env, home=self.home, clock=clock)

    def status(self, clock=time.time) -> int:
        return cli.main(["status"], env=self.env, home=self.home, clock=clock)

    def data(self) -> dict:
        return json.loads(self.state.read_text())

    def edit(self, **changes) -> None:
        data = self.data()
        data.update(changes)
        self.state.write_text(json.dumps(data))

    async def usage(self) -> dict:
        return (await self.api.usage_today()).model_dump()


@pytest.fixture
async def mac(server, tmp_path):
    m = Mac(server, tmp_path)
    await m.sign_up()
    yield m
    await m.api.aclose()


async def test_run_counts_each_command_and_refuses_when_the_quota_is_spent(mac, capfd):
    first = mac.data()["refresh_token"]
    assert mac.run("sh", "-c", "exit 3") == 3  # the command's own exit code
    assert mac.data()["refresh_token"] != first  # rotated by the command itself, saved at once
    assert oct(mac.state.stat().st_mode & 0o777) == "0o600"
    assert (await mac.usage())["used"] == 1
    for _ in range(9):  # the free tier's 10 commands a day
        assert mac.run("true") == 0
    assert mac.run("sh", "-c", "echo SHOULD-NOT-RUN") == EXIT_QUOTA_SPENT
    out, err = capfd.readouterr()
    assert "SHOULD-NOT-RUN" not in out
    assert err.strip().splitlines()[-1] == "coditect: Today's quota of 10 commands is spent; it resets at 00:00 UTC."
    assert (await mac.usage())["used"] == 10
    # The console's own session was never disturbed by the command's rotations.
    assert (await mac.api.me()).email == mac.account["email"]

    assert mac.status() == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0] == f"Account:   {mac.account['email']} (this device)"
    assert lines[1] == f"Seat:      {mac.data()['seat_id']}"
    assert lines[2].startswith("Lease:     online, valid until ")
    assert lines[3].startswith("Commands:  10 of 10 today (resets ")


async def test_the_seat_is_this_machines_seat(mac):
    assert mac.run("true") == 0
    lease = await mac.api.acquire_seat(HW, "console")  # the console on the same machine: the same seat
    assert lease.seat_id == mac.data()["seat_id"]


async def test_offline_within_grace_runs_and_is_counted_later(mac, capfd):
    assert mac.run("true") == 0
    online_url = mac.data()["api_url"]
    mac.edit(api_url=f"http://127.0.0.1:{free_port()}")  # nothing listens there: offline
    assert mac.run("sh", "-c", "echo offline-ok") == 0
    assert "offline-ok" in capfd.readouterr().out
    assert mac.status() == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[2].startswith("Lease:     offline until ")
    assert lines[3] == "Commands:  1 run offline, counted when back online"
    # 6 days later, still offline: within the 7-day grace.
    assert mac.run("true", clock=lambda: time.time() + 6 * DAY) == 0
    # 8 days later: the lease has expired.
    assert mac.run("true", clock=lambda: time.time() + 8 * DAY) == EXIT_LEASE_INVALID
    assert "lease has expired" in capfd.readouterr().err
    # The clock turned back behind the highest time seen (6 days ahead): refused.
    assert mac.run("true") == EXIT_LEASE_INVALID
    assert "clock is behind" in capfd.readouterr().err
    # Back online (and the clock at 6 days ahead as seen): the 2 offline commands are counted too.
    mac.edit(api_url=online_url)
    assert mac.run("true") == 0
    assert (await mac.usage())["used"] == 4


async def test_a_forged_lease_is_refused_offline(mac, capfd):
    assert mac.run("true") == 0
    pinned_kid = mac.data()["pins"]["jwks"]["keys"][0]["kid"]
    claims = {"seat_id": mac.data()["seat_id"], "license_key": "CODITECT-ENTERPRISE-X", "tier": "enterprise",
              "tid": "t", "sub": "u", "hardware_id": HW, "iat": int(time.time()), "exp": int(time.time()) + 365 * DAY}
    forger = SigningKey.generate()
    mac.edit(api_url=f"http://127.0.0.1:{free_port()}", lease_token=forger.sign(claims, typ="lease"))
    assert mac.run("true") == EXIT_LEASE_INVALID
    assert "not know" in capfd.readouterr().err  # unknown key
    forger.kid = pinned_kid
    mac.edit(lease_token=forger.sign(claims, typ="lease"))
    assert mac.run("true") == EXIT_LEASE_INVALID
    assert "not genuine" in capfd.readouterr().err


async def test_a_revoked_agent_session_is_refused_online_and_then_offline(mac, capfd):
    assert mac.run("true") == 0
    await mac.api.revoke_my_session(mac.data()["session_id"])
    assert mac.run("true") == EXIT_NOT_SIGNED_IN
    assert "sign-in was ended" in capfd.readouterr().err
    # Nothing saved may be used any more, not even offline within the grace.
    mac.edit(api_url=f"http://127.0.0.1:{free_port()}")
    assert mac.run("true") == EXIT_NOT_SIGNED_IN
    assert mac.status() == EXIT_NOT_SIGNED_IN


async def test_a_seat_given_back_is_refused(mac, capfd):
    assert mac.run("true") == 0
    await mac.api.release_seat(mac.data()["seat_id"])
    assert mac.run("true") == EXIT_SEAT_GONE
    assert "seat was taken back" in capfd.readouterr().err


async def test_signing_in_again_replaces_the_agent_session(mac):
    old = mac.data()["session_id"]
    await sign_in_agent(mac.api, mac.config, hardware_id=HW, device_name="test mac",
                        user_email=mac.account["email"])
    assert mac.data()["session_id"] != old
    sessions = {s.id: s for s in await mac.api.my_sessions()}
    assert sessions[old].revoked_at is not None
    assert mac.run("true") == 0
    await sign_out_agent(mac.api, mac.config)
    assert not mac.state.exists()
    assert mac.run("true") == EXIT_NOT_SIGNED_IN


def test_not_signed_in_and_usage_errors(tmp_path, capfd):
    env = {"HOME": str(tmp_path)}
    assert cli.main(["run", "--", "true"], env=env, home=tmp_path) == EXIT_NOT_SIGNED_IN
    assert capfd.readouterr().err.strip() == (
        "coditect: Not signed in: install the coditect command from CODITECT Console (Home, key i).")
    assert cli.main(["run"], env=env, home=tmp_path) == 2
    assert cli.main([], env=env, home=tmp_path) == 2


async def test_workspace_session_file(server, tmp_path, capfd):
    """In a workspace SSH session the gate's file is used as is (read only) and counted."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        account = await register_and_verify(client, tmp_path / "live" / "outbox")
        r = await client.post("/api/v1/licenses/acquire", headers=bearer(account["access_token"]),
                              json={"hardware_id": HW, "device_name": "ws", "kind": "container_session"})
        lease = r.json()
        session = tmp_path / "session.json"
        body = {"api_url": server.url, "access_token": account["access_token"], "session_id": account["session_id"],
                "seat_id": lease["seat_id"], "lease_token": lease["lease_token"], "hardware_id": HW,
                "user_email": account["email"]}
        session.write_text(json.dumps(body))
        session.chmod(0o600)
        before = session.read_bytes()
        home = tmp_path / "wshome"
        env = {"HOME": str(home), "CODITECT_SESSION": str(session)}
        assert cli.main(["run", "--", "sh", "-c", "exit 0"], env=env, home=home) == 0
        assert cli.main(["status"], env=env, home=home) == 0
        out = capfd.readouterr().out
        assert f"Account:   {account['email']} (workspace session)" in out and "1 of 10 today" in out
        assert session.read_bytes() == before  # never written by the command
        # The gate's session revoked: the next command is refused.
        assert (await client.post(f"{API}/logout", headers=bearer(account["access_token"]))).status_code == 204
        assert cli.main(["run", "--", "true"], env=env, home=home) == EXIT_NOT_SIGNED_IN


async def test_the_consoles_lease_lets_the_first_run_work_offline(server, tmp_path, capfd):
    m = Mac(server, tmp_path)
    await m.sign_up()
    try:
        seat = await m.api.acquire_seat(HW, "console")  # what the console holds for this machine
        await sign_in_agent(m.api, m.config, hardware_id=HW, device_name="test mac", user_email=m.account["email"],
                            lease={"seat_id": seat.seat_id, "lease_token": seat.lease_token})
        m.edit(api_url=f"http://127.0.0.1:{free_port()}")
        assert m.run("true") == 0
        assert m.status() == 0
        assert f"Seat:      {seat.seat_id}" in capfd.readouterr().out
    finally:
        await m.api.aclose()
