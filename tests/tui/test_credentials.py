"""Refresh-token storage: keyring when it works, a 0600 file when it doesn't.

The keyring backends here are real keyring backend classes installed with
keyring.set_keyring (the keyring is the process boundary)."""

import stat
import threading

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, NoKeyringError

from tests.tui.conftest import MemoryKeyring
from tui.config import AppConfig
from tui.credentials import KEYRING_TIMEOUT_S, SERVICE, CredentialStore

SCOPE = "https://api.example.com"
TOKEN = "refresh-token-0123456789abcdef"


class RaisingKeyring(KeyringBackend):
    priority = 1

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.calls = 0

    def get_password(self, *args):
        self.calls += 1
        raise self.error

    set_password = delete_password = get_password


class HangingKeyring(KeyringBackend):
    """Like a Secret Service waiting for an unlock prompt nobody can see."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def get_password(self, *args):
        self.calls += 1
        self.release.wait(30)

    set_password = delete_password = get_password


@pytest.fixture
def config(tmp_path):
    return AppConfig(data_dir=tmp_path / "data", config_dir=tmp_path / "config")


@pytest.fixture
def use_backend():
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_working_keyring_holds_the_token_and_no_file_is_written(config, memory_keyring):
    store = CredentialStore(config)
    store.set(SCOPE, "Ada@Example.com", TOKEN)
    assert memory_keyring.entries == {(SERVICE, f"{SCOPE}|ada@example.com"): TOKEN}
    assert store.get(SCOPE, "ada@example.com") == TOKEN
    assert store.last_account(SCOPE) == "Ada@Example.com"
    assert not store.path.exists() and store.fallback_notice is None
    store.delete(SCOPE, "ada@example.com")
    assert memory_keyring.entries == {} and store.get(SCOPE, "ada@example.com") is None
    assert store.last_account(SCOPE) == "Ada@Example.com"  # kept to prefill the next sign-in


def test_one_entry_per_server_and_account(config, memory_keyring):
    store = CredentialStore(config)
    store.set(SCOPE, "ada@example.com", "token-a")
    store.set("http://other:8765", "ada@example.com", "token-b")
    store.set(SCOPE, "bob@example.com", "token-c")
    assert store.get(SCOPE, "ada@example.com") == "token-a"
    assert store.get("http://other:8765", "ada@example.com") == "token-b"
    assert len(memory_keyring.entries) == 3


@pytest.mark.parametrize("error", [
    NoKeyringError("No recommended backend was available."),
    KeyringLocked("Failed to unlock the collection!"),
    InitError("cannot connect to D-Bus"),
    RuntimeError("any other backend failure"),
])
def test_failing_keyring_falls_back_to_a_private_file(config, use_backend, error):
    backend = RaisingKeyring(error)
    use_backend(backend)
    store = CredentialStore(config)
    store.set(SCOPE, "ada@example.com", TOKEN)
    assert store.using_file
    assert _mode(store.path) == 0o600 and _mode(store.path.parent) == 0o700
    assert TOKEN in store.path.read_text()
    assert store.get(SCOPE, "ada@example.com") == TOKEN
    notice = store.pop_notice()
    assert notice and str(store.path) in notice and "--no-keyring" in notice
    assert type(error).__name__ not in notice and "keyring" in notice  # said in words
    assert store.pop_notice() is None  # shown once
    assert backend.calls == 1  # not retried after the first failure
    later = CredentialStore(config)  # a later launch, same file
    later.set(SCOPE, "ada@example.com", TOKEN)
    assert later.using_file and later.pop_notice() is None
    store.delete(SCOPE, "ada@example.com")
    assert not store.path.exists()


def test_hanging_keyring_times_out_and_falls_back(config, use_backend):
    backend = HangingKeyring()
    use_backend(backend)
    store = CredentialStore(config, timeout=0.2)
    try:
        store.set(SCOPE, "ada@example.com", TOKEN)
        assert store.get(SCOPE, "ada@example.com") == TOKEN
        assert store.using_file and "did not answer" in store.pop_notice()
        assert backend.calls == 1
    finally:
        backend.release.set()


def test_keyring_calls_are_limited_to_three_seconds(config):
    assert KEYRING_TIMEOUT_S == 3.0 and CredentialStore(config).timeout == 3.0


def test_no_keyring_forces_the_file(tmp_path, use_backend):
    backend = RaisingKeyring(RuntimeError("must not be called"))
    use_backend(backend)
    store = CredentialStore(AppConfig(data_dir=tmp_path / "d", config_dir=tmp_path / "c", no_keyring=True))
    store.set(SCOPE, "ada@example.com", TOKEN)
    assert store.get(SCOPE, "ada@example.com") == TOKEN
    assert backend.calls == 0 and store.path.exists()
    assert store.fallback_notice is None  # the user asked for it: nothing to warn about


def test_logout_deletes_both_copies(config, use_backend):
    use_backend(RaisingKeyring(NoKeyringError()))
    CredentialStore(config).set(SCOPE, "ada@example.com", "from-file")
    memory = MemoryKeyring()
    memory.set_password(SERVICE, f"{SCOPE}|ada@example.com", "from-keyring")
    use_backend(memory)
    store = CredentialStore(config)
    assert store.get(SCOPE, "ada@example.com") == "from-keyring"
    store.delete(SCOPE, "ada@example.com")
    assert memory.entries == {} and not store.path.exists()
    assert store.get(SCOPE, "ada@example.com") is None


def test_a_token_saved_in_the_keyring_removes_an_older_file_copy(config, use_backend):
    use_backend(RaisingKeyring(NoKeyringError()))
    CredentialStore(config).set(SCOPE, "ada@example.com", "old")
    use_backend(MemoryKeyring())
    store = CredentialStore(config)
    store.set(SCOPE, "ada@example.com", "new")
    assert not store.path.exists() and store.get(SCOPE, "ada@example.com") == "new"


def test_preferences_hold_no_token(config, use_backend):
    use_backend(RaisingKeyring(NoKeyringError()))
    CredentialStore(config).set(SCOPE, "ada@example.com", TOKEN)
    prefs = (config.config_dir / "preferences.json").read_text()
    assert TOKEN not in prefs and "ada@example.com" in prefs
