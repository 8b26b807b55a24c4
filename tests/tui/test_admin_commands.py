"""`coditect-console admin ...` / `support ...` against a served API (uvicorn on 127.0.0.1),
SQLite and PostgreSQL: the app's saved sign-in is used (and its rotation saved back), the
answers are tables or JSON lines, every refusal is one line and exit status 1, and every
change is proved through the API."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from console.cli import main
from server.models import User
from server.services.tokens import open_session
from tests.conftest import free_port
from tests.server.principals import app_beside, make_license, make_principal
from tui.config import AppConfig
from tui.credentials import CredentialStore, sign_in_scope

API = "/api/v1"
HOSTILE_DEVICE = "[bold red]evil\x1b[2J laptop"


@dataclass
class Person:
    email: str
    user_id: str
    session_id: str
    access_token: str
    refresh_token: str
    config_dir: Path

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class World:
    url: str
    tenant_id: str
    owner: Person
    member: Person
    support: Person
    tmp: Path


async def _person(app, tmp: Path, role: str, email: str, tenant_id: str | None, device: str) -> Person:
    """A user of `role` with a signed-in session (second factor) whose refresh token is
    saved in its own config dir, as the app saves it after signing in."""
    principal = await make_principal(app, role=role, tenant_id=tenant_id, email=email)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as db:
        user = (await db.execute(select(User).where(User.id == principal["user_id"]))).scalar_one()
        tokens = await open_session(db, runtime, user, amr=["pwd", "otp"], device_name=device,
                                    client_addr="198.51.100.9")
        await db.commit()
    return Person(email=email, user_id=principal["user_id"], session_id=tokens.session_id,
                  access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                  config_dir=tmp / f"config-{role}")


def save_sign_in(world_url: str, person: Person, data_dir: Path) -> None:
    config = AppConfig(api_url=world_url, data_dir=data_dir, config_dir=person.config_dir, no_keyring=True)
    CredentialStore(config).set(sign_in_scope(config), person.email, person.refresh_token)


def saved_token(world: World, person: Person) -> str | None:
    config = AppConfig(api_url=world.url, data_dir=world.tmp / "data", config_dir=person.config_dir,
                       no_keyring=True)
    return CredentialStore(config).get(sign_in_scope(config), person.email)


@pytest.fixture
def world(live_server, tmp_path, database_url) -> World:
    server = live_server(process=False)

    async def build() -> World:
        app = app_beside(tmp_path / "live", database_url)
        try:
            owner = await _person(app, tmp_path, "owner", "owner@acme.example", None, "owner laptop")
            await make_license(app, "pro", tenant_id=(tenant := (await _tenant_of(app, owner.user_id))))
            member = await _person(app, tmp_path, "member", "dev@acme.example", tenant, HOSTILE_DEVICE)
            support = await _person(app, tmp_path, "support", "staff@coditect.example", None, "jump host")
        finally:
            await app.state.runtime.close()
        return World(url=server.url, tenant_id=tenant, owner=owner, member=member, support=support, tmp=tmp_path)

    built = asyncio.run(build())
    for person in (built.owner, built.member, built.support):
        save_sign_in(built.url, person, tmp_path / "data")
    return built


async def _tenant_of(app, user_id: str) -> str:
    async with app.state.runtime.sessionmaker() as db:
        return (await db.execute(select(User.tenant_id).where(User.id == user_id))).scalar_one()


def run(world: World, person: Person | None, *args: str, capsys, monkeypatch, api_url: str | None = None):
    """`coditect-console --api-url URL --no-keyring ARGS` in this process -> (status, out, err)."""
    monkeypatch.setenv("CODITECT_CONFIG_DIR", str(person.config_dir if person else world.tmp / "nobody"))
    status = main(["--api-url", api_url or world.url, "--no-keyring", "--data-dir", str(world.tmp / "data"), *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def api(world: World, method: str, path: str, person: Person | None = None, **kwargs) -> httpx.Response:
    headers = person.headers if person else {}
    return httpx.request(method, world.url + API + path, headers=headers, timeout=30, **kwargs)


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_sessions_list_json_and_table_then_revoke_and_the_tokens_are_refused(world, capsys, monkeypatch):
    status, out, err = run(world, world.owner, "admin", "sessions", "list", "--user", "DEV@acme.example",
                           "--json", capsys=capsys, monkeypatch=monkeypatch)
    assert (status, err) == (0, "")
    rows = json_lines(out)
    assert {r["user_email"] for r in rows} == {"dev@acme.example"} and len(rows) == 2
    [laptop] = [r for r in rows if r["id"] == world.member.session_id]
    assert (laptop["device_name"], laptop["client_addr"], laptop["active"]) == (HOSTILE_DEVICE, "198.51.100.9", True)

    status, out, err = run(world, world.owner, "admin", "sessions", "list", "--q", "evil",
                           capsys=capsys, monkeypatch=monkeypatch)
    header, *lines = out.splitlines()
    assert header.split() == ["ID", "USER", "DEVICE", "ADDRESS", "STARTED", "LAST", "SEEN", "2FA", "STATE"]
    assert len(lines) == 1 and world.member.session_id in lines[0]
    assert "\x1b" not in out  # no raw control character reaches the terminal
    assert "[bold red]evil?[2J laptop" in lines[0]
    assert header.index("USER") == lines[0].index("dev@acme.example")  # aligned

    status, out, err = run(world, world.owner, "admin", "sessions", "revoke", world.member.session_id,
                           capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0 and out.startswith(f"Revoked session {world.member.session_id}")
    r = api(world, "GET", "/auth/me", world.member)
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    r = api(world, "POST", "/auth/refresh", json={"refresh_token": world.member.refresh_token})
    assert r.status_code == 401
    status, out, _ = run(world, world.owner, "admin", "sessions", "list", "--user", "dev@acme.example",
                         "--active", "--json", capsys=capsys, monkeypatch=monkeypatch)
    assert world.member.session_id not in out and len(json_lines(out)) == 1


def test_the_saved_sign_in_is_rotated_and_saved_back(world, capsys, monkeypatch):
    first = saved_token(world, world.owner)
    assert run(world, world.owner, "admin", "users", "list", capsys=capsys, monkeypatch=monkeypatch)[0] == 0
    second = saved_token(world, world.owner)
    assert second and second != first
    # The rotated token works for the next command (the old one would have ended the session).
    status, out, _ = run(world, world.owner, "admin", "sessions", "list", "--limit", "3", "--json",
                         capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0 and len(json_lines(out)) == 3  # of 4
    assert saved_token(world, world.owner) not in (first, second)
    r = api(world, "GET", "/auth/me", world.owner)  # the session is still live
    assert r.status_code == 200


def test_seats_list_and_release(world, capsys, monkeypatch):
    r = api(world, "POST", "/licenses/acquire", world.member, json={"hardware_id": "hw-dev-1", "device_name": "ws"})
    assert r.status_code in (200, 201), r.text
    seat_id = r.json()["seat_id"]
    status, out, _ = run(world, world.owner, "admin", "seats", "list", "--json", capsys=capsys, monkeypatch=monkeypatch)
    [seat] = json_lines(out)
    assert (seat["id"], seat["holder_email"], seat["tier"], seat["live"]) == (seat_id, "dev@acme.example", "pro", True)
    status, out, _ = run(world, world.owner, "admin", "seats", "release", seat_id, capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0 and seat_id in out
    r = api(world, "PUT", "/licenses/heartbeat", world.member, json={"seat_id": seat_id})
    assert r.status_code >= 400 and r.json()["code"] == "seat_gone"
    status, out, _ = run(world, world.owner, "admin", "seats", "list", capsys=capsys, monkeypatch=monkeypatch)
    assert out.splitlines()[1:] == []


def test_users_list(world, capsys, monkeypatch):
    status, out, _ = run(world, world.owner, "admin", "users", "list", "--json", capsys=capsys, monkeypatch=monkeypatch)
    assert [(u["email"], u["role"]) for u in json_lines(out)] == [("dev@acme.example", "member"),
                                                                 ("owner@acme.example", "owner")]
    status, out, _ = run(world, world.owner, "admin", "users", "list", capsys=capsys, monkeypatch=monkeypatch)
    header, *lines = out.splitlines()
    assert header.startswith("EMAIL") and "DAILY LIMIT" in header
    assert [line.split()[0] for line in lines] == ["dev@acme.example", "owner@acme.example"]


def test_quotas_set_is_effective_at_once(world, capsys, monkeypatch):
    status, out, _ = run(world, world.owner, "admin", "quotas", "set", "dev@acme.example", "3",
                         capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0 and "3 commands a day" in out
    assert api(world, "POST", "/usage/commands", world.member, json={"count": 3}).status_code == 200
    r = api(world, "POST", "/usage/commands", world.member, json={"count": 1})
    assert r.status_code == 429 and r.json()["code"] == "quota_exceeded"
    status, out, _ = run(world, world.owner, "admin", "quotas", "set", "dev@acme.example", "default",
                         capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0 and "default" in out
    assert api(world, "POST", "/usage/commands", world.member, json={"count": 1}).status_code == 200
    status, _, err = run(world, world.owner, "admin", "quotas", "set", "dev@acme.example", "lots",
                         capsys=capsys, monkeypatch=monkeypatch)
    assert status == 1 and err.count("\n") == 1 and "whole number" in err


def test_support_search(world, capsys, monkeypatch):
    status, out, err = run(world, world.support, "support", "tenants", "search", "owner@acme", "--json",
                           capsys=capsys, monkeypatch=monkeypatch)
    assert (status, err) == (0, "")
    [tenant] = json_lines(out)
    assert (tenant["id"], tenant["tier"], tenant["owner_emails"]) == (world.tenant_id, "pro", ["owner@acme.example"])
    status, out, _ = run(world, world.support, "support", "tenants", "search", "no-such-customer",
                         capsys=capsys, monkeypatch=monkeypatch)
    assert status == 0 and out.splitlines() == ["ID  NAME  TIER  OWNERS  CREATED"]


def test_support_show_is_recorded_in_the_customers_trail(world, capsys, monkeypatch):
    status, out, err = run(world, world.support, "support", "tenants", "show", world.tenant_id, "--json",
                           capsys=capsys, monkeypatch=monkeypatch)
    assert (status, err) == (0, "")
    [tenant] = json_lines(out)
    assert tenant["id"] == world.tenant_id and tenant["audit"][0]["action"] == "support.viewed"
    status, out, _ = run(world, world.support, "support", "tenants", "show", world.tenant_id,
                         capsys=capsys, monkeypatch=monkeypatch)
    header, row = out.splitlines()
    assert status == 0 and header.split()[:3] == ["ID", "NAME", "TIER"] and row.startswith(world.tenant_id)
    trail = api(world, "GET", "/admin/audit", world.owner, params={"action": "support.viewed"}).json()["events"]
    assert [e["actor_email"] for e in trail] == ["staff@coditect.example"] * 2


@pytest.mark.parametrize("who,argv,words", [
    ("member", ["admin", "users", "list"], "Your role does not allow this: `admin` commands are for an owner or admin"),
    ("owner", ["support", "tenants", "search", "x"], "Your role does not allow this: `support` commands are for support staff"),
    ("support", ["support", "tenants", "show", "0" * 32], f"No customer organization {'0' * 32}."),
    ("owner", ["admin", "sessions", "revoke", "0" * 32], f"No session {'0' * 32} in your organization."),
    ("owner", ["admin", "seats", "release", "0" * 32], f"No seat {'0' * 32} in your organization."),
    ("owner", ["admin", "quotas", "set", "nobody@acme.example", "5"], "No user with this email in your organization."),
    ("nobody", ["admin", "users", "list"], "Not signed in to 127.0.0.1:"),
])
def test_refusals_are_one_line_and_exit_1(world, capsys, monkeypatch, who, argv, words):
    person = getattr(world, who, None)
    status, out, err = run(world, person, *argv, capsys=capsys, monkeypatch=monkeypatch)
    assert status == 1 and out == ""
    assert err.startswith(f"coditect-console: {words}") and err.count("\n") == 1, err


def test_server_down_is_one_line(world, capsys, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    save_sign_in(url, world.owner, world.tmp / "data")
    status, out, err = run(world, world.owner, "admin", "users", "list", capsys=capsys, monkeypatch=monkeypatch,
                           api_url=url)
    assert status == 1 and out == ""
    assert err == f"coditect-console: The server 127.0.0.1:{url.rsplit(':', 1)[1]} cannot be reached. " \
                  "Check your connection and try again.\n"


def test_a_dead_saved_sign_in_is_forgotten_and_says_how_to_sign_in(world, capsys, monkeypatch):
    r = api(world, "DELETE", f"/admin/sessions/{world.member.session_id}", world.owner)
    assert r.status_code == 204
    status, _, err = run(world, world.member, "admin", "users", "list", capsys=capsys, monkeypatch=monkeypatch)
    assert status == 1 and "run `coditect-console --api-url" in err and err.count("\n") == 1
    assert saved_token(world, world.member) is None


def test_a_command_imports_neither_textual_nor_fastapi(world):
    env = {"CODITECT_CONFIG_DIR": str(world.owner.config_dir), "PATH": "/usr/bin:/bin"}
    code = ("import sys; from console.cli import main; status = main(sys.argv[1:]); "
            "heavy = [m for m in ('textual', 'fastapi', 'sqlalchemy') if m in sys.modules]; "
            "print('HEAVY', heavy, status)")
    done = subprocess.run([sys.executable, "-c", code, "--api-url", world.url, "--no-keyring",
                           "--data-dir", str(world.tmp / "data"), "admin", "users", "list", "--json"],
                          capture_output=True, text=True, env=env, timeout=60, cwd=Path(__file__).parents[2])
    assert done.stdout.splitlines()[-1] == "HEAVY [] 0", done.stdout + done.stderr


def test_commands_work_on_the_embedded_server_too(tmp_path, capsys, monkeypatch):
    """No --api-url: the embedded server of the data dir answers, in-process (tui/backend.py)."""
    from tui import backend

    config = AppConfig(api_url=None, data_dir=tmp_path / "data", config_dir=tmp_path / "config", no_keyring=True)

    async def prepare() -> Person:
        transport = await backend.make_transport(config)
        try:
            app = transport.app
            owner = await _person(app, tmp_path, "owner", "solo@embedded.example", None, "this laptop")
            await _person(app, tmp_path, "member", "dev@embedded.example", await _tenant_of(app, owner.user_id),
                          "ws")
            return owner
        finally:
            await backend.close_transport(transport)

    owner = asyncio.run(prepare())
    CredentialStore(AppConfig(api_url=None, data_dir=config.data_dir, config_dir=owner.config_dir,
                              no_keyring=True)).set(sign_in_scope(config), owner.email, owner.refresh_token)
    monkeypatch.setenv("CODITECT_CONFIG_DIR", str(owner.config_dir))
    status = main(["--data-dir", str(config.data_dir), "--no-keyring", "admin", "users", "list", "--json"])
    out = capsys.readouterr().out
    assert status == 0
    assert [u["email"] for u in json_lines(out)] == ["dev@embedded.example", "solo@embedded.example"]
    status = main(["--data-dir", str(config.data_dir), "--no-keyring", "admin", "sessions", "list", "--active"])
    out = capsys.readouterr().out
    assert status == 0 and "(this one)" in out and len(out.splitlines()) == 1 + 4


@pytest.mark.parametrize("argv,expected", [
    (["admin"], {"area": "admin", "target": None, "api_url": None}),
    (["support"], {"area": "support", "target": None}),
    (["--api-url", "http://127.0.0.1:1", "admin", "users", "list", "--json"],
     {"area": "admin", "target": "users", "verb": "list", "json": True, "api_url": "http://127.0.0.1:1"}),
    (["admin", "sessions", "list", "--api-url", "http://127.0.0.1:2", "--no-keyring", "--user", "a@b.c"],
     {"verb": "list", "api_url": "http://127.0.0.1:2", "no_keyring": True, "user": "a@b.c", "q": None}),
    (["--data-dir", "/d", "admin", "quotas", "set", "a@b.c", "default"],
     {"data_dir": "/d", "email": "a@b.c", "limit": "default", "no_keyring": False}),
    (["support", "tenants", "search", "acme", "--limit", "5"], {"text": "acme", "limit": 5, "json": False}),
    (["support", "tenants", "show", "abc", "--json"], {"verb": "show", "id": "abc", "json": True}),
])
def test_command_line_wiring(argv, expected):
    from console.cli import build_parser

    args = vars(build_parser().parse_args(argv))
    assert {key: args.get(key) for key in expected} == expected
