"""Database connections per API process, from a total for the whole server.

PostgreSQL refuses connections past `max_connections` (100 by default), so `--workers 4`
must not open 4 x 30. The total (`--db-connections`, default 80: headroom for psql,
backups and a second deploy) is shared out between the worker processes; a request that
finds every connection busy for POOL_TIMEOUT_S is answered 503 with Retry-After
(server/guards.py) instead of waiting forever or failing with a bare 500.
"""

from __future__ import annotations

DEFAULT_TOTAL = 80
POOL_TIMEOUT_S = 10
RETRY_AFTER_S = 2


def connections_per_process(total: int | None, workers: int) -> int:
    return max(1, (total or DEFAULT_TOTAL) // max(1, workers))


def pool_options(settings) -> dict:
    """Keyword arguments for server.db.make_engine (SQLite keeps its one connection)."""
    timeout = settings.db_pool_timeout_s
    if settings.is_sqlite:
        return {} if timeout is None else {"pool_timeout": timeout}
    return {"pool_size": connections_per_process(settings.db_connections, settings.workers),
            "max_overflow": 0, "pool_timeout": POOL_TIMEOUT_S if timeout is None else timeout}
