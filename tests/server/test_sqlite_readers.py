"""On SQLite, read-only requests run in deferred (WAL reader) transactions on their own
connections: a write transaction held elsewhere does not hold them up. And the server
refuses more than one worker process on SQLite."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from server.cli import SQLITE_ONE_WORKER, main
from tests.server.principals import make_principal


@pytest.fixture
def database_url(tmp_path):  # these are SQLite-only rules
    return f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"


async def test_reads_are_served_while_a_write_transaction_is_held(app, client, tmp_path, clock):
    me = await make_principal(app)
    writer = sqlite3.connect(tmp_path / "api.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the database's write lock, held
    writer.execute("UPDATE tenants SET name = name")
    try:
        answers = await asyncio.gather(client.get("/api/v1/auth/me", headers=me["headers"]),
                                       client.get("/api/v1/licenses", headers=me["headers"]),
                                       client.get("/api/v1/auth/sessions", headers=me["headers"]))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert [r.status_code for r in answers] == [200, 200, 200], [r.text for r in answers]
    assert answers[0].json()["user_id"] == me["user_id"]


async def test_a_read_that_is_due_to_note_last_seen_writes_it_through_the_writer(app, client, clock):
    from server.models import LoginSession

    me = await make_principal(app)
    clock.advance(120)
    assert (await client.get("/api/v1/auth/me", headers=me["headers"])).status_code == 200
    async with app.state.runtime.sessionmaker() as db:
        assert (await db.get(LoginSession, me["session_id"])).last_seen_at == clock.now()


def test_more_than_one_worker_on_sqlite_is_refused_in_one_line(tmp_path, capsys):
    code = main(["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "--data-dir", str(tmp_path), "--workers", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() == SQLITE_ONE_WORKER and err.count("\n") == 1
    assert "PostgreSQL" in err
