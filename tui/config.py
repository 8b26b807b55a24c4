"""Where the console keeps things, and which server it talks to.

Cheap to import (no Textual, no httpx): the CLI builds an AppConfig before the app loads.
Nothing secret is ever written by this module; the sign-in lives in tui.credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

APP_NAME = "coditect-console"
EMBEDDED_BASE_URL = "http://embedded.coditect.local"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


@dataclass
class AppConfig:
    api_url: str | None = None  # None = the embedded server, in-process
    data_dir: Path = field(default_factory=default_data_dir)
    config_dir: Path = field(default_factory=default_config_dir)
    no_keyring: bool = False
    # Extra server.config.Settings fields for the embedded server (tests lower the argon2
    # cost or inject a clock here); never read from the command line or the environment.
    server_overrides: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.config_dir = Path(self.config_dir)
        if self.api_url is not None:
            self.api_url = self.api_url.strip().rstrip("/") or None

    @property
    def embedded(self) -> bool:
        return self.api_url is None

    @property
    def scope(self) -> str:
        """Which server a saved sign-in belongs to (embedded servers differ by data dir)."""
        return self.api_url or f"embedded:{self.data_dir}"

    @property
    def base_url(self) -> str:
        """The URL httpx talks to (a fixed placeholder host in embedded mode)."""
        return EMBEDDED_BASE_URL if self.embedded else self.api_url

    @property
    def server_label(self) -> str:
        if self.embedded:
            return "embedded server (this computer)"
        parsed = urlparse(self.api_url)
        return parsed.netloc or self.api_url

    @property
    def outbox_dir(self) -> Path | None:
        """Where the embedded server writes its mail (None for a remote server)."""
        return self.data_dir / "outbox" if self.embedded else None

    @classmethod
    def from_args(cls, args, env=None) -> "AppConfig":
        env = os.environ if env is None else env
        api_url = getattr(args, "api_url", None) or env.get("CODITECT_API_URL") or None
        data_dir = getattr(args, "data_dir", None) or env.get("CODITECT_DATA_DIR")
        config_dir = env.get("CODITECT_CONFIG_DIR")
        values: dict = {"api_url": api_url, "no_keyring": bool(getattr(args, "no_keyring", False))}
        if data_dir:
            values["data_dir"] = Path(data_dir).expanduser()
        if config_dir:
            values["config_dir"] = Path(config_dir).expanduser()
        return cls(**values)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make it 0700: it may hold a token or a lease."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def write_private_file(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, mode 0600 from the first byte."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict:
    """The JSON object in `path`, or {} when it is missing or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
