"""SQLAlchemy Core statements run straight on the database driver, for the hot paths
(GET /auth/me, the seat lease cycle): no Session, no unit of work, no per-call statement
building, and on PostgreSQL no transaction around a single statement.

A statement is compiled once per dialect (`Compiled`): its SQL text, the order of its
parameters, and SQLAlchemy's own bind and result processors for its column types, so the
values are converted exactly as the ORM converts them (UTC datetimes, JSON, booleans).

Connections come from the engines' pools, so the pool limits (server/pool.py) and, on
SQLite, the single writing connection are shared with everything else:

- SQLite: statements run inline on the event loop (a few tens of microseconds each). A
  write transaction is BEGIN IMMEDIATE on the one writer connection, checked out of its
  pool first, so writers queue in the pool (FIFO) and never wait inside SQLite. A read
  with no transaction runs on a reader connection as its own WAL snapshot.
- PostgreSQL: the asyncpg connection under the pooled one, with asyncpg's prepared
  statement cache. One statement outside a transaction is atomic on its own (one round
  trip); several run between BEGIN and COMMIT.
"""

from __future__ import annotations

from collections import namedtuple
from contextlib import asynccontextmanager
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine

_DISCONNECTS: tuple[type[BaseException], ...] = (ConnectionError, OSError)
try:  # asyncpg is optional (SQLite-only installs)
    import asyncpg

    _DISCONNECTS += (asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError)
except ImportError:  # pragma: no cover
    pass


class Compiled:
    """One Core statement compiled for one dialect."""

    __slots__ = ("sql", "names", "defaults", "binds", "results", "make_row")

    def __init__(self, statement, dialect, column_keys=None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise ValueError("give every column's value: Python-side defaults are not run here")
        self.sql = compiled.string
        self.names = list(compiled.positiontup or ())
        self.defaults = dict(compiled.params)  # literals the statement carries itself
        self.binds = compiled._bind_processors
        keys = [col[0] for col in compiled._result_columns]
        self.make_row = namedtuple("Row", keys, rename=True)._make if keys else tuple
        self.results = [(i, proc) for i, col in enumerate(compiled._result_columns)
                        if (proc := col[3]._cached_result_processor(dialect, None)) is not None]

    def values(self, params: dict) -> list:
        binds, out = self.binds, []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            proc = binds.get(name)
            out.append(value if proc is None or value is None else proc(value))
        return out

    def row(self, raw) -> tuple:
        """A named tuple (Row.column_name or row[i]) of the converted values."""
        if not self.results:
            return self.make_row(raw)
        row = list(raw)
        for i, proc in self.results:
            row[i] = proc(row[i])
        return self.make_row(row)


class _Statements:
    """Statements compiled on first use, per statement object (module-level constants)."""

    def __init__(self, dialect) -> None:
        self.dialect = dialect
        self._cache: dict[int, tuple[object, Compiled]] = {}

    def get(self, statement, column_keys=None) -> Compiled:
        hit = self._cache.get(id(statement))
        if hit is None:
            # The statement is kept beside its compiled form: its id is never reused.
            hit = self._cache[id(statement)] = (statement, Compiled(statement, self.dialect, column_keys))
        return hit[1]


class SqliteTx:
    """Statements on one sqlite3 connection (inside BEGIN IMMEDIATE, or autocommit)."""

    dialect_name = "sqlite"

    def __init__(self, conn, statements: _Statements) -> None:
        self._conn, self._statements = conn, statements

    async def all(self, statement, params: dict, column_keys=None) -> list[tuple]:
        c = self._statements.get(statement, column_keys)
        return [c.row(r) for r in self._conn.execute(c.sql, c.values(params)).fetchall()]

    async def first(self, statement, params: dict) -> tuple | None:
        c = self._statements.get(statement)
        raw = self._conn.execute(c.sql, c.values(params)).fetchone()
        return None if raw is None else c.row(raw)

    async def run(self, statement, params: dict, column_keys=None) -> int:
        """-> rows changed."""
        c = self._statements.get(statement, column_keys)
        return self._conn.execute(c.sql, c.values(params)).rowcount


class PostgresTx:
    """Statements on one asyncpg connection (inside BEGIN/COMMIT, or each on its own)."""

    dialect_name = "postgresql"

    def __init__(self, conn, statements: _Statements) -> None:
        self._conn, self._statements = conn, statements

    async def all(self, statement, params: dict, column_keys=None) -> list[tuple]:
        c = self._statements.get(statement, column_keys)
        return [c.row(r) for r in await self._conn.fetch(c.sql, *c.values(params))]

    async def first(self, statement, params: dict) -> tuple | None:
        c = self._statements.get(statement)
        raw = await self._conn.fetchrow(c.sql, *c.values(params))
        return None if raw is None else c.row(raw)

    async def run(self, statement, params: dict, column_keys=None) -> int:
        c = self._statements.get(statement, column_keys)
        status = await self._conn.execute(c.sql, *c.values(params))
        return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0


class Driver:
    """Transactions and single statements straight on the pooled driver connections."""

    def __init__(self, engine: AsyncEngine, read_engine: AsyncEngine) -> None:
        self._engine, self._read_engine = engine, read_engine
        self.dialect_name = engine.dialect.name
        self._statements = _Statements(engine.sync_engine.dialect)
        self._tx = PostgresTx if self.dialect_name == "postgresql" else SqliteTx

    @asynccontextmanager
    async def _checkout(self, engine: AsyncEngine):
        pooled = await engine.raw_connection()
        try:
            yield pooled.driver_connection
        except _DISCONNECTS:
            pooled.invalidate()  # never handed out again
            raise
        finally:
            pooled.close()  # back to the pool (after invalidate(): a no-op)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteTx | PostgresTx]:
        """One write transaction: committed when the block ends, rolled back if it raises
        (an ApiError included). On SQLite the block holds the database's write lock: it
        must not await anything but this transaction's own statements."""
        async with self._checkout(self._engine) as conn:
            if self.dialect_name == "postgresql":
                await conn.execute("BEGIN")
            else:
                conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx(conn, self._statements)
            except BaseException:
                if self.dialect_name == "postgresql":
                    if not conn.is_closed():
                        await conn.execute("ROLLBACK")
                else:
                    conn.execute("ROLLBACK")
                raise
            if self.dialect_name == "postgresql":
                await conn.execute("COMMIT")
            else:
                conn.execute("COMMIT")

    @asynccontextmanager
    async def autocommit(self, *, read_only: bool = False) -> AsyncIterator[SqliteTx | PostgresTx]:
        """Statements each atomic on its own, no transaction around them: for one
        statement that does all its work (one round trip on PostgreSQL). `read_only`: on
        a reader connection (on SQLite a WAL snapshot that never waits for the writer)."""
        async with self._checkout(self._read_engine if read_only else self._engine) as conn:
            yield self._tx(conn, self._statements)
