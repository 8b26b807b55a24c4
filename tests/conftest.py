"""Shared fixtures: the real server on SQLite and on PostgreSQL, an injectable clock.

PostgreSQL: every test session creates its own database on 127.0.0.1:5432 (so parallel
runs never collide) and drops it at the end; tables are truncated between tests. When no
PostgreSQL answers, its tests are skipped locally and fail under CI (CI=true).
"""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
import secrets
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from server.clock import FrozenClock
from server.config import Settings

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
# A fixed, round instant: 2026-11-26 10:00:00 UTC (TOTP step boundary).
EPOCH = datetime(2026, 11, 26, 10, 0, 0, tzinfo=timezone.utc)


def _pg_available() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="test")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database_url():
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not running at 127.0.0.1:5432 (CI must start it)")
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    name = f"coditect_t_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(EPOCH)


@pytest.fixture
def settings(tmp_path, database_url, clock) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        clock=clock,
        # Cheaper argon2 in tests only; the rules under test do not depend on the cost.
        argon2_time_cost=1,
        argon2_memory_kib=8192,
    )


async def reset_database(runtime) -> None:
    """Start the runtime (creates tables) and empty every table (PostgreSQL is shared
    by the whole test session)."""
    from sqlalchemy import text

    from server.models import Base

    await runtime.start()
    if runtime.engine.dialect.name == "postgresql":
        # DELETE, children first, then the sequences back to 1: as TRUNCATE ... RESTART
        # IDENTITY would, at a tenth of its cost on tables this small (it runs per test).
        async with runtime.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
            sequences = await conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"))
            for name in sequences.all():
                await conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))


@pytest.fixture
async def app(settings):
    from server.app import create_app

    application = create_app(settings)
    await reset_database(application.state.runtime)
    yield application
    await application.state.runtime.close()


CLIENT_ADDR = "203.0.113.7"


def client_for(application) -> httpx.AsyncClient:
    """An HTTP client speaking to the real app in-process, from CLIENT_ADDR."""
    transport = httpx.ASGITransport(app=application, client=(CLIENT_ADDR, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app):
    async with client_for(app) as c:
        yield c


@asynccontextmanager
async def serving(settings: Settings):
    """(app, client) on other settings than the fixtures' (e.g. an SMTP server); tables
    emptied first, connections closed after."""
    from server.app import create_app

    application = create_app(settings)
    await reset_database(application.state.runtime)
    try:
        async with client_for(application) as c:
            yield application, c
    finally:
        await application.state.runtime.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`coditect-console server` as a real uvicorn process on 127.0.0.1."""

    def __init__(self, database_url: str, data_dir: Path, workers: int = 1, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.database_url, self.data_dir = database_url, data_dir
        self._env = None if env is None else {**os.environ, **env}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._argv = [sys.executable, "-m", "console.cli", "server", "--port", str(self.port),
                      "--workers", str(workers), "--database-url", database_url, "--data-dir", str(data_dir), *args]
        self._launch("wb")

    def _launch(self, mode: str) -> None:
        self._log_file = open(self.log, mode)
        self.proc = subprocess.Popen(self._argv, stdout=self._log_file, stderr=subprocess.STDOUT, env=self._env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def restart(self) -> None:
        """Start it again after stop(): the same port, data dir (keys) and database."""
        self.stop()
        self._launch("ab")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log_file.close()


class ThreadServer:
    """The API on uvicorn in a thread of the test process, on 127.0.0.1: the same HTTP
    server and app as `coditect-console server` with one worker, without a second
    interpreter importing it all again (about a second per start). For tests about the
    process itself (workers, signals, restarts, the CLI's options) use LiveServer."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        import threading

        import uvicorn

        from server.app import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = Settings(data_dir=data_dir, database_url=database_url, public_url=self.url)
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"api-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the API did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(15)


@pytest.fixture
def live_server(tmp_path, database_url):
    """Factory: start_server(workers=1, args=(extra CLI options,)) -> LiveServer, or with
    process=False a ThreadServer; all are stopped after the test.

    The tables are emptied first (PostgreSQL is shared by the session)."""
    servers: list[LiveServer | ThreadServer] = []

    def start(workers: int = 1, args: tuple[str, ...] = (), process: bool = True) -> LiveServer | ThreadServer:
        if not servers:
            from server.runtime import Runtime

            async def _reset():
                runtime = Runtime(Settings(data_dir=tmp_path / "live", database_url=database_url))
                await reset_database(runtime)
                await runtime.close()

            asyncio.run(_reset())
        if process:
            server = LiveServer(database_url, tmp_path / "live", workers, args)
        else:
            assert workers == 1 and not args, "a ThreadServer is one worker with the default options"
            server = ThreadServer(database_url, tmp_path / "live")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# Files that run long on one worker (a real Docker engine, containers, SSH sessions) start
# first: at the end of the run they would leave the other workers idle while they finish.
LONG_FILES = ("tests/workspace/test_engine_workspace.py", "tests/screens/test_deploy_workspace.py",
              "tests/screens/test_support_console.py", "tests/screens/test_admin_console.py")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

    items.sort(key=rank)  # stable: the rest keep their order
