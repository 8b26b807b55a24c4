"""Everything one server instance holds: settings, database, keys, mailer.

Started lazily and idempotently, so the app works both under uvicorn (lifespan) and
in-process through httpx.ASGITransport (which runs no lifespan).
"""

from __future__ import annotations

import asyncio
import os

from server.config import Settings
from server.db import create_schema, make_engine, make_sessionmaker
from server.driver import Driver
from server.keys import CodeMac, SecretBox, SigningKey, retired_signing_keys
from server.migrations import upgrade
from server.pool import pool_options
from server.services.mail import make_mailer
from server.services.tokens import VerifiedTokens


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = settings.clock
        self.engine = make_engine(settings.database_url, **pool_options(settings))
        self.sessionmaker = make_sessionmaker(self.engine)
        # Read-only requests: on a SQLite file, their own connections with deferred
        # transactions (WAL readers never wait for the writer); elsewhere the same engine.
        self.read_engine = self.engine
        if settings.is_sqlite and not settings.database_url.endswith(("///", ":memory:")):
            self.read_engine = make_engine(settings.database_url, reader=True)
        self.read_sessionmaker = make_sessionmaker(self.read_engine)
        # The hot paths' statements straight on these engines' driver connections.
        self.driver = Driver(self.engine, self.read_engine, sqlite_read_path=(
            settings.database_url.split("///", 1)[1] if self.read_engine is not self.engine else None))
        self.verified_tokens = VerifiedTokens()
        self.mailer = make_mailer(settings)
        self.signing_key: SigningKey | None = None
        self.retired_signing_keys: list[SigningKey] = []
        self.secret_box: SecretBox | None = None
        self.code_mac: CodeMac | None = None
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        if self._started:
            return
        async with self._lock:
            if self._started:
                return
            await asyncio.to_thread(_private_dir, self.settings.data_dir)
            self.signing_key = await asyncio.to_thread(SigningKey.load_or_create, self.settings.keys_dir)
            self.retired_signing_keys = await asyncio.to_thread(retired_signing_keys, self.settings.keys_dir)
            self.secret_box = await asyncio.to_thread(SecretBox.load_or_create, self.settings.keys_dir)
            self.code_mac = await asyncio.to_thread(CodeMac.load_or_create, self.settings.keys_dir)
            await create_schema(self.engine)
            await upgrade(self.engine)
            self._started = True

    async def close(self) -> None:
        self.driver.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _private_dir(path) -> None:
    """The data dir holds keys, mail and (by default) the database: owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
