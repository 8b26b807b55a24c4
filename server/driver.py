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

import sqlite3
from collections import namedtuple

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

    def __init__(self, engine: AsyncEngine, read_engine: AsyncEngine, sqlite_read_path: str | None = None) -> None:
        self._engine, self._read_engine = engine, read_engine
        self.dialect_name = engine.dialect.name
        self.postgres = self.dialect_name == "postgresql"
        self._statements = _Statements(engine.sync_engine.dialect)
        self._tx = PostgresTx if self.postgres else SqliteTx
        # SQLite reads: one plain connection, no pool: its statements run inline, each a
        # complete WAL snapshot, so requests can share it.
        self._sqlite_reader = None
        if sqlite_read_path is not None:
            conn = sqlite3.connect(sqlite_read_path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA query_only=ON")
            self._sqlite_reader = SqliteTx(conn, self._statements)

    def write(self) -> "_Block":
        """`async with driver.write() as tx`: one write transaction, committed when the
        block ends, rolled back if it raises (an ApiError included). On SQLite the block
        holds the database's write lock: it must await nothing but its own statements."""
        return _Block(self, self._engine, transaction=True)

    def autocommit(self, *, read_only: bool = False) -> "_Block":
        """`async with driver.autocommit() as conn`: statements each atomic on its own, no
        transaction around them, for one statement that does all its work (one round trip
        on PostgreSQL). `read_only`: on a reader connection (on SQLite a WAL snapshot that
        never waits for the writer)."""
        if read_only and self._sqlite_reader is not None:
            return _Shared(self._sqlite_reader)
        return _Block(self, self._read_engine if read_only else self._engine, transaction=False)

    def close(self) -> None:
        if self._sqlite_reader is not None:
            self._sqlite_reader._conn.close()


class _Shared:
    __slots__ = ("_tx",)

    def __init__(self, tx) -> None:
        self._tx = tx

    async def __aenter__(self):
        return self._tx

    async def __aexit__(self, *_exc) -> None:
        return None


class _Block:
    """A pooled connection checked out for one block, in a transaction or not."""

    __slots__ = ("_driver", "_engine", "_transaction", "_pooled")

    def __init__(self, driver: Driver, engine: AsyncEngine, transaction: bool) -> None:
        self._driver, self._engine, self._transaction, self._pooled = driver, engine, transaction, None

    async def __aenter__(self):
        self._pooled = pooled = await self._engine.raw_connection()
        conn = pooled.driver_connection
        try:
            if self._transaction:
                if self._driver.postgres:
                    await conn.execute("BEGIN")
                else:
                    conn.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self._release(exc)
            raise
        return self._driver._tx(conn, self._driver._statements)

    async def __aexit__(self, exc_type, exc, _tb) -> None:
        pooled, conn = self._pooled, self._pooled.driver_connection
        try:
            if self._transaction:
                if self._driver.postgres:
                    if exc is None:
                        await conn.execute("COMMIT")
                    elif not conn.is_closed():
                        await conn.execute("ROLLBACK")
                elif exc is None:
                    conn.execute("COMMIT")
                else:
                    conn.execute("ROLLBACK")
        except BaseException as error:
            self._release(error)
            raise
        self._release(exc)

    def _release(self, exc) -> None:
        if isinstance(exc, _DISCONNECTS):
            self._pooled.invalidate()  # never handed out again
        self._pooled.close()  # back to the pool (after invalidate(): a no-op)
