"""`coditect-console server` with a database it cannot use: one line with the fix, never
the driver's traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PG_HOST, PG_PORT, _pg_available, free_port


def run_server(tmp_path, url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console.cli", "server", "--port", str(free_port()),
                           "--database-url", url, "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_one_line_with_the_fix(tmp_path):
    if not _pg_available():
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    out = run_server(tmp_path, f"postgresql://postgres@{PG_HOST}:{PG_PORT}/coditect_missing_db_x")
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert 'no database "coditect_missing_db_x"' in lines[0] and "createdb" in lines[0]


def test_nothing_listening_is_one_line(tmp_path):
    out = run_server(tmp_path, f"postgresql://postgres@127.0.0.1:{free_port()}/coditect")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Nothing answers as PostgreSQL" in lines[0]
