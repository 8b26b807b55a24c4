"""Anything that is not a proper answer becomes ServerUnreachable with words, never a crash.

The misbehaving peers are real: a raw asyncio TCP server that never answers, and a tiny
ASGI server that answers garbage (standing in for a proxy or a wrong --api-url)."""

import asyncio
import json

import httpx
import pytest

from tui.api import ApiClient, ApiError, ServerUnreachable, Tokens, describe


def garbage_server(status: int, body: bytes, content_type: str = "application/json"):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type.encode())]})
        await send({"type": "http.response.body", "body": body})

    return httpx.ASGITransport(app=app)


@pytest.mark.parametrize("status, body, content_type, reason", [
    (500, b"Internal Server Error", "text/plain", "server_error"),
    (502, b"<html>Bad gateway</html>", "text/html", "server_error"),
    (200, b"<html>a captive portal</html>", "text/html", "bad_answer"),
    (200, json.dumps({"user_id": 1}).encode(), "application/json", "bad_answer"),  # wrong shape
    (404, b"<html>not here</html>", "text/html", "bad_answer"),  # not problem+json
])
async def test_bad_answers_are_words(status, body, content_type, reason):
    client = ApiClient("http://x", transport=garbage_server(status, body, content_type))
    try:
        with pytest.raises(ServerUnreachable) as caught:
            await client.register("ada@example.com", "correct-horse-battery", "Ada", "Org")
        assert caught.value.reason == reason and caught.value.retryable
        assert caught.value.message == describe(reason) and "Traceback" not in caught.value.message
    finally:
        await client.aclose()


async def test_server_text_never_reaches_the_message():
    problem = {"type": "x", "title": "[bold red]pwned[/]", "status": 409, "code": "[b]weird[/b]",
               "detail": "[link=http://evil]click[/link]"}
    client = ApiClient("http://x", transport=garbage_server(409, json.dumps(problem).encode(),
                                                            "application/problem+json"))
    try:
        with pytest.raises(ApiError) as caught:
            await client.register("ada@example.com", "correct-horse-battery", "Ada", "Org")
        message = caught.value.message
        assert "[" not in message and "pwned" not in message and "evil" not in message
        assert message == "The server refused this request (bweirdb)."
    finally:
        await client.aclose()


async def test_a_server_that_never_answers_times_out():
    hold = asyncio.Event()

    async def silent(reader, writer):
        await hold.wait()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = ApiClient(f"http://127.0.0.1:{port}", timeout=0.3)
    try:
        with pytest.raises(ServerUnreachable) as caught:
            await client.jwks()
        assert caught.value.reason == "timeout" and "did not answer in time" in caught.value.message
    finally:
        hold.set()
        await client.aclose()
        server.close()
        await server.wait_closed()


async def test_nothing_listening_is_unreachable():
    from tests.conftest import free_port

    client = ApiClient(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ServerUnreachable) as caught:
            await client.jwks()
        assert caught.value.reason == "unreachable" and "cannot be reached" in caught.value.message
    finally:
        await client.aclose()


def test_rate_limit_words_carry_the_wait():
    assert describe("rate_limited", retry_after=30) == "Too many attempts. Try again in 1 minute."
    assert describe("rate_limited", retry_after=601) == "Too many attempts. Try again in 11 minutes."
    assert describe("rate_limited") == "Too many attempts. Try again later."
    assert describe("too_many_mails", retry_after=3600).endswith("Try again in 60 minutes.")
    assert "someone else may have typed it" in describe("too_many_mails")


@pytest.mark.parametrize("code", [
    "email_taken", "email_not_verified", "invalid_credentials", "mfa_required", "invalid_code", "code_reused",
    "code_expired", "rate_limited", "no_seats_available", "seat_gone", "license_in_use", "license_not_found",
    "license_key_invalid", "quota_exceeded", "session_revoked", "refresh_reused", "token_expired",
    "unreachable", "validation_error",
])
def test_every_known_code_has_its_own_words(code):
    assert "refused this request" not in describe(code)


def test_tokens_never_print_themselves():
    tokens = Tokens(access_token="eyJ.secret.jwt", refresh_token="refresh-secret", expires_at=0, session_id="s1")
    assert "secret" not in repr(tokens) and "secret" not in str(tokens)
