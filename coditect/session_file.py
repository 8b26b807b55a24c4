"""The per-SSH-session file the gate writes and `coditect` reads (path in CODITECT_SESSION).

Fields: api_url, access_token, session_id, seat_id, lease_token, hardware_id, user_email.
0600, owned by the session user, replaced atomically (write a sibling, fsync, rename), so a
reader never sees half a file; only the gate writes it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["FIELDS", "new_session_file", "write_session_file", "session_dir"]

FIELDS = ("api_url", "access_token", "session_id", "seat_id", "lease_token", "hardware_id", "user_email")
CONTAINER_SESSION_DIR = "/run/coditect/sessions"


def session_dir() -> str:
    """Where session files live: CODITECT_SESSION_DIR, the container's sticky directory, or
    the user's runtime/temp directory."""
    for candidate in (os.environ.get("CODITECT_SESSION_DIR"), CONTAINER_SESSION_DIR, os.environ.get("XDG_RUNTIME_DIR")):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return tempfile.gettempdir()


def new_session_file() -> Path:
    fd, name = tempfile.mkstemp(prefix="coditect-session-", suffix=".json", dir=session_dir())  # 0600
    os.close(fd)
    return Path(name)


def write_session_file(path: Path, values: dict) -> None:
    data = json.dumps({k: values.get(k) for k in FIELDS}, indent=1).encode()
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)  # 0600, same directory
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
