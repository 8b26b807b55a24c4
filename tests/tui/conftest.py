"""Fixtures for the console core: a temp AppConfig on the real embedded server (SQLite
and PostgreSQL), and a keyring backend under the test's control.

The keyring is the process boundary (a system service); tests install real keyring
backend classes with keyring.set_keyring, never stubs of our own code.
"""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from server.config import Settings
from tests.conftest import reset_database
from tui.config import AppConfig


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps entries in memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def tui_config(tmp_path, database_url, clock, memory_keyring) -> AppConfig:
    """Embedded mode in a temp data dir, on the parametrized database, with the frozen clock."""

    return AppConfig(
        api_url=None, data_dir=tmp_path / "data", config_dir=tmp_path / "config",
        server_overrides={"database_url": database_url, "clock": clock,
                          "argon2_time_cost": 1, "argon2_memory_kib": 8192},
    )


@pytest.fixture
async def fresh_database(database_url, tmp_path):
    """Empty tables (PostgreSQL is shared by the test session)."""
    from server.runtime import Runtime

    runtime = Runtime(Settings(data_dir=tmp_path / "reset", database_url=database_url))
    await reset_database(runtime)
    await runtime.close()


@pytest.fixture
async def session(tui_config, fresh_database, clock):
    """A started AccountSession on the embedded server (its clock is the frozen one)."""
    from tui.session import AccountSession

    account = AccountSession(tui_config, clock=lambda: clock.now().timestamp())
    await account.start()
    yield account
    await account.close()
