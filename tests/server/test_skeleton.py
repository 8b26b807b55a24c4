"""The skeleton: app factory, health, JWKS, problem+json, URL mapping, cheap CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server.config import normalize_database_url


async def test_health_reports_the_database(client, database_url):
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["database"] == ("sqlite" if database_url.startswith("sqlite") else "postgresql")


async def test_jwks_publishes_one_ed25519_key(client):
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(keys) == 1 and keys[0]["crv"] == "Ed25519" and "d" not in keys[0]


async def test_unknown_route_is_problem_json(client):
    r = await client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "given, expected",
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h:5432/d", "postgresql+asyncpg://u@h:5432/d"),
        ("postgres://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
    ],
)
def test_database_urls_map_to_async_drivers(given, expected):
    assert normalize_database_url(given) == expected


def test_unsupported_database_url_is_a_clear_error():
    with pytest.raises(ValueError, match="unsupported database URL"):
        normalize_database_url("mysql://x")


@pytest.mark.parametrize("flag", ["--help", "--version", "admin --help", "admin sessions list --help",
                                  "support tenants search --help"])
def test_help_and_version_import_neither_textual_nor_fastapi(flag):
    code = (
        "import sys\n"
        "from console.cli import main\n"
        f"try:\n    main({flag.split()!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'fastapi', 'sqlalchemy', 'httpx') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_an_admin_command_without_a_sign_in_imports_neither_textual_nor_fastapi(tmp_path):
    """The scripting commands (tui/admin_commands.py) need httpx, never Textual or FastAPI;
    a remote server is asked (tests/tui/test_admin_commands.py runs one for real)."""
    code = (
        "import sys\n"
        "from console.cli import main\n"
        "status = main(['--api-url', 'http://127.0.0.1:9', '--no-keyring', 'admin', 'users', 'list'])\n"
        "heavy = [m for m in ('textual', 'fastapi', 'sqlalchemy') if m in sys.modules]\n"
        "print('HEAVY', heavy, status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "CODITECT_CONFIG_DIR": str(tmp_path)})
    assert "HEAVY [] 1" in done.stdout
    assert done.stderr.startswith("coditect-console: Not signed in to 127.0.0.1:9")


async def test_schema_creation_is_idempotent_and_adds_missing_indexes(settings):
    """A database made by an older version gains the indexes added since, on start."""
    from sqlalchemy import inspect, text

    from server.db import create_schema, make_engine

    engine = make_engine(settings.database_url)
    try:
        await create_schema(engine)
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_login_sessions_tenant_created"))
        await create_schema(engine)
        await create_schema(engine)
        async with engine.connect() as conn:
            names = await conn.run_sync(
                lambda c: {i["name"] for i in inspect(c).get_indexes("login_sessions")}
            )
        assert "ix_login_sessions_tenant_created" in names
    finally:
        await engine.dispose()
