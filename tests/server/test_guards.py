"""Bad input answers 4xx, never 500: strings the database cannot store, oversized bodies;
server errors as one log line with a request id; a full connection pool answers 503."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from sqlalchemy import text

from tests.conftest import serving
from tests.server.admin_world import make_org
from tests.server.flows import API, DEFAULT_PASSWORD, register_and_verify


@pytest.mark.parametrize("method, url, body", [
    ("post", f"{API}/login", {"email": "ada@example.com", "password": "pass\u0000word-is-long"}),
    ("post", f"{API}/register", {"email": "ada@example.com", "password": DEFAULT_PASSWORD,
                                 "full_name": "Ada", "organization": "Nul\u0000Corp"}),
    ("post", f"{API}/password/forgot", {"email": "ada@example.com", "x": ["\ud800"]}),
    ("post", f"{API}/verify-email/link", {"token": "abcdefghijklmnop\u0000qrstuvwxyz"}),
])
async def test_unstorable_text_in_a_body_is_422(client, method, url, body):
    # json.dumps escapes as \u0000 / \ud800, as any JSON client would send them.
    r = await getattr(client, method)(url, content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert r.json()["errors"][0]["type"] == "unstorable_text"
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_nul_in_a_query_or_a_path_id_is_422_everywhere(app, client):
    org = await make_org(app, "nul")
    headers = org.admin["headers"]
    for method, url in [
        ("get", f"/api/v1/admin/sessions?q=a%00b"),
        ("get", f"/api/v1/admin/users?cursor=%00"),
        ("get", f"/api/v1/admin/audit?action=x%00"),
        ("delete", f"/api/v1/admin/sessions/abc%00def"),
        ("patch", f"/api/v1/admin/users/abc%00def"),
        ("delete", f"{API}/sessions/abc%00"),
        ("get", "/verify?token=abc%00"),
    ]:
        r = await client.request(method.upper(), url, headers=headers, json={} if method == "patch" else None)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.json()["errors"][0]["type"] == "unstorable_text"
    # The same routes still work on good input.
    assert (await client.get("/api/v1/admin/sessions?q=ab", headers=headers)).status_code == 200


async def test_a_nul_in_a_form_is_422(client):
    r = await client.post("/verify", content=b"token=abc%00def",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422


async def test_a_body_over_the_limit_is_413_with_content_length_or_chunked(settings):
    async with serving(replace(settings, max_body=1024)) as (_app, client):
        big = {"email": "a@example.com", "password": "x" * 2000}
        r = await client.post(f"{API}/login", json=big)
        assert r.status_code == 413 and r.json()["code"] == "body_too_large" and r.json()["limit"] == 1024
        assert r.headers["content-type"].startswith("application/problem+json")

        async def chunks():
            for _ in range(10):
                yield b"x" * 200

        r = await client.post(f"{API}/login", content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in r.request.headers
        assert r.status_code == 413
        r = await client.post("/verify", content=chunks(),
                              headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413
        small = await client.post(f"{API}/password/forgot", json={"email": "a@example.com"})
        assert small.status_code == 202


async def test_the_default_limit_is_64_kib(client):
    r = await client.post(f"{API}/password/forgot", content=b" " * (64 * 1024 + 1),
                          headers={"content-type": "application/json"})
    assert r.status_code == 413


async def test_a_server_error_is_one_log_line_with_the_request_id_and_no_personal_data(app, client, caplog):
    # A real failure: the table the route reads is gone.
    async with app.state.runtime.engine.begin() as conn:
        await conn.execute(text("DROP TABLE password_resets"))
    address = "private.person@example.com"
    await register_and_verify(client, app.state.runtime.settings, email=address, sign_in=False)
    caplog.clear()
    caplog.set_level(logging.INFO)  # (aiosqlite's DEBUG log echoes parameters by itself)
    r = await client.post(f"{API}/password/forgot", json={"email": address})
    assert r.status_code == 500
    problem = r.json()
    assert problem["code"] == "internal_error" and problem["request_id"] == r.headers["x-request-id"]
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert problem["request_id"] in line and "\n" not in line and not errors[0].exc_info
    assert address not in caplog.text and "private.person" not in caplog.text
    assert "SELECT" not in caplog.text.upper().split("FAILED")[-1]


async def test_a_full_pool_answers_503_with_retry_after(settings):
    async with serving(replace(settings, db_connections=1, db_pool_timeout_s=0.2)) as (app, client):
        engine = app.state.runtime.engine
        async with engine.connect() as held:  # the process's only connection
            await held.execute(text("SELECT 1"))
            r = await client.post(f"{API}/password/forgot", json={"email": "a@example.com"})
        assert r.status_code == 503 and r.json()["code"] == "server_busy"
        assert int(r.headers["retry-after"]) >= 1
        assert (await client.post(f"{API}/password/forgot", json={"email": "a@example.com"})).status_code == 202


def test_the_pool_is_a_share_of_the_total():
    from server.config import Settings
    from server.pool import DEFAULT_TOTAL, pool_options

    pg = "postgresql://u@127.0.0.1/x"
    assert DEFAULT_TOTAL < 100
    assert pool_options(Settings(database_url=pg, workers=4))["pool_size"] * 4 <= DEFAULT_TOTAL
    options = pool_options(Settings(database_url=pg, workers=3, db_connections=12))
    assert options["pool_size"] == 4 and options["max_overflow"] == 0
