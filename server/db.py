"""Engine, sessions and idempotent schema creation for SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import event, inspect, pool, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.util.concurrency import await_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from server.models import Base
from server.services import seat_take_pg

# Any constant: serialises schema creation between API processes on one PostgreSQL.
_SCHEMA_LOCK_ID = 0x0C0D17EC


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    """The stdlib sqlite3 driver called inline on the event loop, behind the asyncio API.

    aiosqlite runs every statement on a worker thread and hands the result back through
    the loop: for the short, indexed statements of this API that hop cost more than the
    statement (about half of a request's time). A SQLite statement here is tens of
    microseconds, so running it on the loop is cheaper than any hand-off. Waiting for
    the write lock never happens inside a statement in one process: there is one writing
    connection, and requests queue for it in the (async) pool instead.
    """

    is_async = True  # statements run in SQLAlchemy's greenlet bridge
    supports_statement_cache = True

    # AsyncConnection.execute insists that a statement awaited something: one await of a
    # finished coroutine per statement (no trip through the loop) satisfies it.
    def do_execute(self, cursor, statement, parameters, context=None):
        await_(_nothing())
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor, statement, context=None):
        await_(_nothing())
        cursor.execute(statement)

    def do_executemany(self, cursor, statement, parameters, context=None):
        await_(_nothing())
        cursor.executemany(statement, parameters)

    @classmethod
    def get_pool_class(cls, url):
        return pool.AsyncAdaptedQueuePool


async def _nothing() -> None:
    return None


class _InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """Rows are buffered by sqlite3 as they are fetched; nothing to close."""


class _InlineConnection(sqlite3.Connection):
    def cursor(self, factory=_InlineCursor):
        return super().cursor(factory)


registry.register("sqlite.coditect_inline", "server.db", "SQLiteDialect_inline")


def _inline_sqlite_url(database_url: str) -> str:
    return "sqlite+coditect_inline:" + database_url.split(":", 1)[1]


def make_engine(database_url: str, *, reader: bool = False, **kwargs) -> AsyncEngine:
    """The engine for `database_url`. On SQLite, `reader=True` gives the engine of the
    read-only requests: its transactions are deferred (plain BEGIN), so in WAL mode they
    read a snapshot and never wait for the writer."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            _private_sqlite_file(Path(path))
        # One writing connection per process: SQLite runs one writer at a time anyway, and
        # queueing requests in the pool (FIFO) is fair, where SQLite's busy-wait
        # backoff is not (it gave p99s of seconds under 16 concurrent clients).
        kwargs.setdefault("pool_size", 4 if reader else 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        # check_same_thread off: the pool may close a connection from the thread
        # that garbage-collects it; statements themselves all run on the loop.
        engine = create_async_engine(_inline_sqlite_url(database_url),
                                     connect_args={"timeout": 30, "check_same_thread": False, "factory": _InlineConnection}, **kwargs)
        _configure_sqlite(engine, begin="BEGIN" if reader else "BEGIN IMMEDIATE")
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(database_url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


# A pooled connection unused for longer than this is checked before it is handed out.
IDLE_PING_S = 5.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """pool_pre_ping, but only for a connection that sat idle in the pool: pre_ping costs
    three round trips (BEGIN, a ping, ROLLBACK) on every checkout, more than a hot path's
    own statement. A connection in steady use is not pinged; one the database may have
    dropped meanwhile (a restart, an idle timeout) is, and is replaced if dead."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checkin(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since > IDLE_PING_S:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError() from exc  # the pool connects afresh


def _private_sqlite_file(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite gives the -wal and
    -shm files the database file's mode), and tighten a file made before this rule."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        try:
            os.chmod(path.with_name(name), 0o600)
        except FileNotFoundError:
            pass


def _configure_sqlite(engine: AsyncEngine, begin: str) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE for writers (plain BEGIN for readers).

    IMMEDIATE takes the write lock when a transaction starts, so two writers never
    deadlock upgrading a read lock; that is what makes SQLite seat counts and quota
    increments atomic (PostgreSQL uses row locks instead).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        # Straight to the driver: a statement through SQLAlchemy costs more than the BEGIN.
        conn.connection.dbapi_connection.execute(begin)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables; safe to run from several processes at once."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SCHEMA_LOCK_ID})
        await conn.run_sync(_create_missing)


def _create_missing(sync_conn) -> None:
    """Tables, columns and indexes added to tables that already exist (create_all skips
    those), and the triggers that keep licenses.open_seats exact. What exists is read in two
    catalog queries, not one per table and index (every API start and every test pays it)."""
    tables, indexes = _existing(sync_conn)
    if any(table.name not in tables for table in Base.metadata.sorted_tables):
        Base.metadata.create_all(sync_conn)
        tables, indexes = _existing(sync_conn)
    added_open_seats = _add_open_seats_column(sync_conn)
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            if index.name not in indexes:
                index.create(sync_conn, checkfirst=True)
    _install_seat_triggers(sync_conn)
    if added_open_seats:
        # In the transaction that installed the triggers: no seat changes in between.
        sync_conn.execute(text(RECOUNT_OPEN_SEATS))


def _existing(sync_conn) -> tuple[set[str], set[str]]:
    """-> (table names, index names) in the connection's schema."""
    if sync_conn.dialect.name == "postgresql":
        indexes = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        indexes = "SELECT name FROM sqlite_master WHERE type = 'index'"
    return set(inspect(sync_conn).get_table_names()), set(sync_conn.exec_driver_sql(indexes).scalars())


RECOUNT_OPEN_SEATS = (
    "UPDATE licenses SET open_seats = (SELECT count(*) FROM seats "
    "WHERE seats.license_id = licenses.id AND seats.released_at IS NULL)"
)


def _add_open_seats_column(sync_conn) -> bool:
    """A database made before licenses.open_seats existed gets the column (counted right
    after). -> True when it was added."""
    columns = {c["name"] for c in inspect(sync_conn).get_columns("licenses")}
    if "open_seats" in columns:
        return False
    sync_conn.execute(text("ALTER TABLE licenses ADD COLUMN open_seats INTEGER NOT NULL DEFAULT 0"))
    return True


_SQLITE_SEAT_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS seats_open_count_insert AFTER INSERT ON seats
    WHEN NEW.released_at IS NULL
    BEGIN UPDATE licenses SET open_seats = open_seats + 1 WHERE id = NEW.license_id; END""",
    """CREATE TRIGGER IF NOT EXISTS seats_open_count_update AFTER UPDATE OF released_at, license_id ON seats
    WHEN (OLD.released_at IS NULL) != (NEW.released_at IS NULL) OR OLD.license_id != NEW.license_id
    BEGIN
      UPDATE licenses SET open_seats = open_seats - 1 WHERE id = OLD.license_id AND OLD.released_at IS NULL;
      UPDATE licenses SET open_seats = open_seats + 1 WHERE id = NEW.license_id AND NEW.released_at IS NULL;
    END""",
    """CREATE TRIGGER IF NOT EXISTS seats_open_count_delete AFTER DELETE ON seats
    WHEN OLD.released_at IS NULL
    BEGIN UPDATE licenses SET open_seats = open_seats - 1 WHERE id = OLD.license_id; END""",
)

# Statement-level on PostgreSQL, over the rows each statement changed (transition tables):
# a bulk insert or a sweep of many seats updates each license row once, not once per seat
# (row-level triggers updating one row thousands of times in a transaction are quadratic).
_POSTGRES_SEAT_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION seats_open_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE licenses l SET open_seats = l.open_seats + d.n
      FROM (SELECT license_id, count(*) AS n FROM new_rows WHERE released_at IS NULL GROUP BY license_id) d
      WHERE l.id = d.license_id;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION seats_open_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE licenses l SET open_seats = l.open_seats - d.n
      FROM (SELECT license_id, count(*) AS n FROM old_rows WHERE released_at IS NULL GROUP BY license_id) d
      WHERE l.id = d.license_id;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION seats_open_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE licenses l SET open_seats = l.open_seats + d.n
      FROM (SELECT license_id, sum(n) AS n FROM (
              SELECT license_id, -1 AS n FROM old_rows WHERE released_at IS NULL
              UNION ALL SELECT license_id, 1 FROM new_rows WHERE released_at IS NULL) changes
            GROUP BY license_id HAVING sum(n) <> 0) d
      WHERE l.id = d.license_id;
      RETURN NULL;
    END $$""",
    """CREATE OR REPLACE TRIGGER seats_open_count_insert AFTER INSERT ON seats
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seats_open_count_inserted()""",
    """CREATE OR REPLACE TRIGGER seats_open_count_delete AFTER DELETE ON seats
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION seats_open_count_deleted()""",
    """CREATE OR REPLACE TRIGGER seats_open_count_update AFTER UPDATE ON seats
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION seats_open_count_updated()""",
)


def _install_seat_triggers(sync_conn) -> None:
    """licenses.open_seats follows every insert, release and delete of a seat, whatever
    code (or person) writes it. On PostgreSQL the trigger locks the license row: code
    that releases seats locks the license first (services/seats.py), the order acquire
    uses, so that the two never deadlock. PostgreSQL also gets acquire's function
    (services/seat_take_pg.py), replaced by its current body on every start."""
    postgres = sync_conn.dialect.name == "postgresql"
    for sql in _POSTGRES_SEAT_TRIGGERS if postgres else _SQLITE_SEAT_TRIGGERS:
        sync_conn.exec_driver_sql(sql)
    if postgres:
        sync_conn.exec_driver_sql(seat_take_pg.CREATE_FUNCTION)
