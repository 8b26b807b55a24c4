"""Where `coditect` finds its sign-in, and how it keeps it.

Two sources, tried in this order:
- a workspace SSH session: the session gate exports CODITECT_SESSION, the path of a JSON
  file (0600) with api_url, access_token, session_id, seat_id, lease_token, hardware_id,
  user_email. Only the gate refreshes, heartbeats and rewrites it: `coditect` only reads it.
- a Mac (or any desktop): the agent state file the console wrote when it installed the
  command: $CODITECT_AGENT_STATE, else the path recorded in the install receipt
  (~/.local/share/coditect/receipt.json, key "agent_state"). `coditect` owns this one:
  it rotates its refresh token, keeps the seat's lease, the pinned server keys and the
  highest time it has seen, always rewritten atomically (temp file + os.replace, 0600) under
  an exclusive lock, so two commands started at once never present one refresh token twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

__all__ = [
    "SESSION_ENV", "AGENT_STATE_ENV", "RECEIPT_RELATIVE", "StateError", "find_agent_state", "read_json_file",
    "write_private_json", "locked", "pins_path",
]

SESSION_ENV = "CODITECT_SESSION"
AGENT_STATE_ENV = "CODITECT_AGENT_STATE"
RECEIPT_RELATIVE = Path(".local/share/coditect/receipt.json")
WORKSPACE_PINS_RELATIVE = Path(".local/state/coditect/pins.json")


class StateError(Exception):
    """The sign-in file is missing or unreadable; the message is one line."""


def read_json_file(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"{path} cannot be read ({exc.__class__.__name__}).") from None
    if not isinstance(data, dict):
        raise StateError(f"{path} is not a sign-in file.")
    return data


def write_private_json(path: Path, data: dict) -> None:
    """Atomic, 0600 from the first byte."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive advisory lock on `path`.lock for the duration (POSIX flock)."""
    import fcntl

    lock_path = Path(str(path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def find_agent_state(env: dict, home: Path) -> Path | None:
    explicit = env.get(AGENT_STATE_ENV)
    if explicit:
        return Path(explicit)
    try:
        receipt = read_json_file(home / RECEIPT_RELATIVE)
    except StateError:
        return None
    recorded = receipt.get("agent_state")
    return Path(recorded) if isinstance(recorded, str) and recorded else None


def pins_path(home: Path) -> Path:
    """Pinned keys and highest time seen, for the workspace (whose session file is read-only to us)."""
    return home / WORKSPACE_PINS_RELATIVE
