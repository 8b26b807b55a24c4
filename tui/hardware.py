"""This machine's identity for seats: stable across runs, never the raw OS identifier.

The OS machine id is hashed with an app-specific prefix (as systemd asks applications
to do), so the value we send cannot be linked to other software's use of the same id.
Containers and systems without one get a random id persisted once in the data dir.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from tui.config import ensure_private_dir

_LINUX_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
FALLBACK_FILE = "hardware-id"


def _read_first_line(path: str) -> str | None:
    try:
        value = Path(path).read_text(encoding="ascii", errors="ignore").strip()
    except OSError:
        return None
    return value or None


def _macos_platform_uuid() -> str | None:
    try:
        out = subprocess.run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True,
                             text=True, timeout=3, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'"IOPlatformUUID"\s*=\s*"([^"]+)"', out)
    return match.group(1) if match else None


def _windows_machine_guid() -> str | None:
    try:
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
            return str(winreg.QueryValueEx(key, "MachineGuid")[0])
    except (ImportError, OSError):
        return None


def os_machine_id() -> str | None:
    if sys.platform == "darwin":
        return _macos_platform_uuid()
    if sys.platform == "win32":
        return _windows_machine_guid()
    for path in _LINUX_ID_FILES:
        value = _read_first_line(path)
        if value:
            return value
    return None


def _persisted_id(data_dir: Path) -> str:
    path = data_dir / FALLBACK_FILE
    existing = _read_first_line(str(path))
    if existing:
        return existing
    ensure_private_dir(data_dir)
    value = uuid.uuid4().hex
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process got there first: use its value
        return _read_first_line(str(path)) or value
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def hardware_id(data_dir: Path | None = None) -> str:
    """64 hex characters, the same on every run on this machine."""
    raw = os_machine_id()
    if raw is None:
        if data_dir is None:
            from tui.config import default_data_dir

            data_dir = default_data_dir()
        raw = "persisted:" + _persisted_id(Path(data_dir))
    return hashlib.sha256(f"coditect-console:{raw}".encode()).hexdigest()


def device_name() -> str:
    """What the user sees in their sessions list: host name and OS."""
    host = socket.gethostname().split(".")[0] or "this computer"
    system = {"Darwin": "macOS"}.get(platform.system(), platform.system() or "unknown OS")
    return f"{host} ({system})"[:200]
