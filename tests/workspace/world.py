"""The people and helpers of the engine tests: an owner (admin view) and a member (the
workspace user) on one free license (one seat), made with the real code over the live
API's database; `ssh` as a real OpenSSH client to 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from server.models import Seat
from tests.server.principals import app_beside, make_principal

SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
               "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"]


@dataclass
class World:
    api_url: str
    data_dir: Path
    database_url: str
    owner: dict
    member: dict

    def admin_get(self, path: str) -> dict:
        r = httpx.get(self.api_url + "/api/v1" + path, headers=self.owner["headers"], timeout=10)
        r.raise_for_status()
        return r.json()

    def admin_delete(self, path: str) -> int:
        return httpx.delete(self.api_url + "/api/v1" + path, headers=self.owner["headers"], timeout=10).status_code

    def live_container_seats(self) -> list[dict]:
        return [s for s in self.admin_get("/admin/seats")["seats"] if s["kind"] == "container_session" and s["live"]]

    def seat_row(self, seat_id: str) -> Seat:
        async def load():
            app = app_beside(self.data_dir, self.database_url)
            try:
                async with app.state.runtime.sessionmaker() as db:
                    return (await db.execute(select(Seat).where(Seat.id == seat_id))).scalar_one()
            finally:
                await app.state.runtime.close()
        return asyncio.run(load())

    def new_member_session(self) -> dict:
        """A fresh login session of the member (the console's may have been revoked by a test)."""
        from server.models import User
        from server.services.tokens import open_session

        async def open_one():
            app = app_beside(self.data_dir, self.database_url)
            try:
                await app.state.runtime.start()
                async with app.state.runtime.sessionmaker() as db:
                    user = await db.get(User, self.member["user_id"])
                    tokens = await open_session(db, app.state.runtime, user, amr=["pwd"], device_name="console")
                    await db.commit()
                    return {"access_token": tokens.access_token, "session_id": tokens.session_id}
            finally:
                await app.state.runtime.close()
        return asyncio.run(open_one())

    def wait_released(self, seat_id: str, within_s: float) -> Seat:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            row = self.seat_row(seat_id)
            if row.released_at is not None:
                return row
            time.sleep(0.2)
        return self.seat_row(seat_id)


def make_world(api_server) -> World:
    async def people():
        app = app_beside(api_server.data_dir, api_server.database_url)
        try:
            owner = await make_principal(app, role="owner", email="owner@ws.example")
            member = await make_principal(app, role="member", tenant_id=owner["tenant_id"], mfa=False,
                                          email="dev@ws.example", device_name="console on laptop")
            return owner, member
        finally:
            await app.state.runtime.close()
    owner, member = asyncio.run(people())
    return World(api_server.url, api_server.data_dir, api_server.database_url, owner, member)


def ssh_argv(key: Path, port: int, *command: str, extra: tuple[str, ...] = ()) -> list[str]:
    return ["ssh", "-i", str(key), "-p", str(port), *SSH_OPTIONS, *extra, "coditect@127.0.0.1", *command]


def ssh(key: Path, port: int, *command: str, timeout: float = 60, extra: tuple[str, ...] = ()
        ) -> subprocess.CompletedProcess:
    return subprocess.run(ssh_argv(key, port, *command, extra=extra), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ssh_background(key: Path, port: int, *command: str) -> subprocess.Popen:
    return subprocess.Popen(ssh_argv(key, port, *command), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def first_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    """The first line the remote command printed (waits for it, bounded)."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        proc.kill()
        raise AssertionError(f"no output within {timeout} s: {proc.stderr.read() if proc.stderr else ''}")
    return proc.stdout.readline().strip()
