"""Bring a database made by an earlier version up to the current tables, idempotently.

`create_schema` adds missing tables and indexes; this adds what it cannot: new columns,
wider columns (PostgreSQL enforces lengths; SQLite does not), and the old unique
constraint on users.email, which pending registrations of one address no longer obey
(PostgreSQL only: SQLite would need a table rebuild; there a second pending registration
of an address is refused as taken until the first is verified or replaced).
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import _SCHEMA_LOCK_ID

_NEW_COLUMNS = [("users", "registration_handle_hash", "VARCHAR(128)")]
_WIDER_COLUMNS = [("audit_events", "target", 400)]


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SCHEMA_LOCK_ID})
        columns = await conn.run_sync(
            lambda sync: {(t, c["name"]): c for t in ("users", "audit_events")
                          for c in inspect(sync).get_columns(t)})
        for table, column, sql_type in _NEW_COLUMNS:
            if (table, column) not in columns:
                await conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"))
        if not postgres:
            return
        for table, column, length in _WIDER_COLUMNS:
            current = getattr(columns[(table, column)]["type"], "length", None)
            if current is not None and current < length:
                await conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({length})"))
        await conn.execute(text("ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_key"))
