"""Server settings: one object, built from CLI flags or CODITECT_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from server.clock import SystemClock


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("coditect-console", appauthor=False))


def normalize_database_url(url: str) -> str:
    """Map plain SQLAlchemy URLs to the async drivers we ship.

    `sqlite:///x.db` -> `sqlite+aiosqlite:///x.db`,
    `postgresql://...` / `postgres://...` -> `postgresql+asyncpg://...`.
    """
    url = url.strip()
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:"):]
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith(("sqlite+aiosqlite:", "postgresql+asyncpg:")):
        return url
    raise ValueError(
        f"unsupported database URL scheme in {url.split(':', 1)[0]!r}: "
        "use sqlite:///PATH or postgresql://USER@HOST:PORT/DB"
    )


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite file embedded.db in data_dir
    smtp_url: str | None = None  # smtp://host:port ; None -> outbox directory
    outbox_dir: Path | None = None  # default: data_dir/outbox
    issuer: str = "https://api.coditect.local"
    audience: str = "coditect-console"
    access_token_ttl_s: int = 3600
    refresh_token_ttl_days: int = 30
    # Offline grace: a lease token stays valid this long after the last heartbeat.
    lease_ttl_days: int = 7
    seat_heartbeat_interval_s: int = 300
    seat_ttl_s: int = 900
    seat_sweep_interval_s: float = 60.0
    # Argon2 cost; tests may lower it, production never should.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    mail_from: str = "CODITECT <no-reply@coditect.local>"
    # Base of e-mailed links: `--public-url`, else the address `server` listens on.
    public_url: str = "http://127.0.0.1:8765"
    # In-process server of the console: mail says to paste links into the console.
    embedded: bool = False
    # Largest request body accepted (bytes); more is answered 413 while it is read.
    max_body: int = 64 * 1024
    # Database connections for the whole server (all workers together); None = the
    # default (see server/pool.py); each worker process gets its share.
    db_connections: int | None = None
    # Longest wait for a free connection before answering 503 (None: the pool's default).
    db_pool_timeout_s: float | None = None
    workers: int = 1
    # Reverse proxies trusted for X-Forwarded-For (comma-separated); "" = none.
    forwarded_allow_ips: str = ""
    clock: object = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'embedded.db'}"
        self.database_url = normalize_database_url(self.database_url)
        if self.outbox_dir is None and not self.smtp_url:
            self.outbox_dir = self.data_dir / "outbox"
        if self.outbox_dir is not None:
            self.outbox_dir = Path(self.outbox_dir)

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = dict(os.environ if env is None else env)
        values: dict = {}
        if env.get("CODITECT_DATA_DIR"):
            values["data_dir"] = Path(env["CODITECT_DATA_DIR"])
        if env.get("CODITECT_DATABASE_URL"):
            values["database_url"] = env["CODITECT_DATABASE_URL"]
        if env.get("CODITECT_SMTP_URL"):
            values["smtp_url"] = env["CODITECT_SMTP_URL"]
        if env.get("CODITECT_OUTBOX"):
            values["outbox_dir"] = Path(env["CODITECT_OUTBOX"])
        if env.get("CODITECT_FORWARDED_ALLOW_IPS"):
            values["forwarded_allow_ips"] = env["CODITECT_FORWARDED_ALLOW_IPS"].strip()
        if env.get("CODITECT_PUBLIC_URL"):
            values["public_url"] = env["CODITECT_PUBLIC_URL"]
        for name in ("max_body", "db_connections", "workers"):
            if env.get(f"CODITECT_{name.upper()}"):
                values[name] = int(env[f"CODITECT_{name.upper()}"])
        # Seat and token timing: tests and demos shorten it (the workspace gate heartbeats at
        # this interval and refreshes its access token before it expires).
        for name, key in (("CODITECT_SEAT_HEARTBEAT_INTERVAL_S", "seat_heartbeat_interval_s"),
                          ("CODITECT_SEAT_TTL_S", "seat_ttl_s"),
                          ("CODITECT_ACCESS_TOKEN_TTL_S", "access_token_ttl_s")):
            if env.get(name):
                values[key] = int(env[name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
