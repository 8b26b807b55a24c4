"""Fixtures of the engine tests: a real Docker engine, the base image, an API server with
short seat timing, and a signed-in user with a registered key.

No engine: skipped locally with the reason, failed under CI (CI=true), like PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.workspace.engine import EngineUnavailable, ensure_base_image, machine_lock, start_dockerd, stop_dockerd

HEARTBEAT_S = 2
SEAT_TTL_S = 8
# Short enough that a session outlives its first access token: the gate must refresh it.
ACCESS_TOKEN_TTL_S = 8


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"Docker engine tests cannot run: {reason}")
    pytest.skip(f"Docker engine tests need a Docker engine: {reason}")


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory):
    # Every test process using the engine holds the "users" lock shared; one that started the
    # engine stops it only once it can take that lock alone (no other xdist worker uses it).
    with machine_lock("dockerd-users", shared=True):
        try:
            proc = start_dockerd(tmp_path_factory.mktemp("dockerd"))
        except EngineUnavailable as exc:
            _unavailable(str(exc))
        yield
    if proc is not None:
        with machine_lock("dockerd-users"):
            stop_dockerd(proc)


@pytest.fixture(scope="session")
def base_image(docker_engine):
    try:
        return ensure_base_image()
    except (EngineUnavailable, subprocess.CalledProcessError) as exc:
        _unavailable(f"no base image: {exc}")


def start_api_server(data_dir: Path) -> LiveServer:
    """`coditect-console server` (uvicorn, SQLite) on 127.0.0.1 with the short seat timing above."""
    return LiveServer(f"sqlite+aiosqlite:///{data_dir / 'api.db'}", data_dir, env={
        "CODITECT_SEAT_HEARTBEAT_INTERVAL_S": str(HEARTBEAT_S), "CODITECT_SEAT_TTL_S": str(SEAT_TTL_S),
        "CODITECT_ACCESS_TOKEN_TTL_S": str(ACCESS_TOKEN_TTL_S)})


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    server = start_api_server(tmp_path_factory.mktemp("api"))
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def _venv_tools_on_path():
    """The test extra installs Compose v2, hadolint and shellcheck into this Python's bin
    directory; put it on PATH as an activated venv would (the console looks them up there)."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    yield
