"""Fixtures for the screens: the real app on the real embedded server in a temp data dir.

Time is the server's FrozenClock (TOTP codes are computed from it, and it moves one step
after each code); the keyring is a real keyring backend class kept in memory (the system
keyring is the process boundary). Snapshot tests run from a temp working directory with a
relative data dir, so the paths the screens print are the same on every run.
"""

from __future__ import annotations

import os

import pytest

from server.clock import FrozenClock
from tests.conftest import EPOCH
from tests.tui.conftest import memory_keyring  # noqa: F401  (the fixture)
from textual.widgets import Input
from console.app import CoditectApp
from tui.config import AppConfig
from tui.session import AccountSession


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch):
    """A blinking cursor makes snapshots depend on timing."""
    monkeypatch.setattr(Input, "cursor_blink", False)


@pytest.fixture(autouse=True)
def keyring_in_memory(memory_keyring):
    """Every app here keeps its sign-in in an in-memory keyring (tests/tui's fixture)."""
    return memory_keyring


@pytest.fixture(autouse=True)
def home_dir(tmp_path, monkeypatch):
    """Recovery codes are saved to ~/: keep them in the test's directory."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def docker_daemon(tmp_path, monkeypatch):
    """A docker program whose daemon answers (the process boundary): the install step's
    options do not depend on this machine. Tests rewrite `docker_daemon` to change it."""
    bin_dir = tmp_path / "docker-bin"
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / "docker"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return program


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(EPOCH)


def app_config(data_dir, config_dir, clock, **extra) -> AppConfig:
    return AppConfig(data_dir=data_dir, config_dir=config_dir,
                     server_overrides={"clock": clock, "argon2_time_cost": 1, "argon2_memory_kib": 8192},
                     **extra)


@pytest.fixture
def config(tmp_path, clock) -> AppConfig:
    return app_config(tmp_path / "data", tmp_path / "config", clock)


@pytest.fixture
def make_app(clock):
    """make_app(config) -> a CoditectApp whose session checks leases with the frozen clock."""

    def make(config: AppConfig) -> CoditectApp:
        session = AccountSession(config, clock=lambda: clock.now().timestamp())
        return CoditectApp(config=config, session=session)

    return make


@pytest.fixture
def snapshot_dir(tmp_path, monkeypatch):
    """Run from tmp_path with relative dirs, so printed paths are stable ("data/outbox")."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
