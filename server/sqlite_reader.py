"""One plain sqlite3 connection for the hottest read-only statements (the caller check of
GET /auth/me), run inline on the event loop with no pool, transaction or ORM around it.

A single SELECT in autocommit mode is its own read transaction: in WAL mode it reads a
consistent snapshot and never waits for a writer. The statements are SQLAlchemy Core
statements compiled once for SQLite, so the SQL is written in one place; this module
only converts the UTC datetimes the way server.models.base.UTCDateTime stores them.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from sqlalchemy.dialects import sqlite

_DIALECT = sqlite.dialect(paramstyle="qmark")
_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME storage format


def to_db(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime(_FORMAT)
    return value


def from_db(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


class Compiled:
    """A Core SELECT compiled for SQLite: its SQL text, the order of its parameters and
    the values of the ones the statement carries itself (literals)."""

    def __init__(self, statement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = compiled.string
        self.names = list(compiled.positiontup or ())
        self.defaults = dict(compiled.params)

    def values(self, params: dict) -> list:
        merged = {**self.defaults, **params}
        return [to_db(merged[name]) for name in self.names]


class SqliteReader:
    def __init__(self, path: str) -> None:
        # check_same_thread off: closed by whichever thread disposes the runtime.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA query_only=ON")
        self._cache: dict[int, Compiled] = {}

    def first(self, statement, params: dict) -> tuple | None:
        compiled = self._cache.get(id(statement))
        if compiled is None:
            compiled = self._cache[id(statement)] = Compiled(statement)
        return self._conn.execute(compiled.sql, compiled.values(params)).fetchone()

    def close(self) -> None:
        self._conn.close()
