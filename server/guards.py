"""One ASGI middleware between the network and every route.

- Request body limit: a body over `max_body` bytes is answered 413 while it is read
  (Content-Length or chunked, JSON or form alike); at most `max_body` bytes are held.
- Strings the database cannot store (NUL, lone UTF-16 surrogates) in the path, the query
  or a JSON/form body are answered 422 before any route runs: one check for every route.
- Server errors: one log line with a request id, the exception's type and where it was
  raised, never its message (SQL errors carry their parameters: e-mail addresses); the 500
  answer carries the same request id. A full connection pool is answered 503 + Retry-After.

Every response carries `X-Request-ID`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import traceback
from urllib.parse import parse_qsl, unquote_to_bytes

from sqlalchemy.exc import TimeoutError as PoolTimeout

from server.errors import PROBLEM_JSON
from server.pool import RETRY_AFTER_S

log = logging.getLogger("server.errors")

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _TooLarge(Exception):
    pass


UNSTORABLE_MESSAGE = "must not contain control characters such as NUL, or unpaired surrogates"


def unstorable_at(value, where: tuple = ()) -> tuple | None:
    """Where (keys and indexes) a string in `value` (JSON-like) cannot be stored, or None."""
    if isinstance(value, str):
        return where if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = (where + (key,)) if _UNSTORABLE.search(key) else unstorable_at(item, where + (key,))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := unstorable_at(item, where + (index,))) is not None:
                return found
    return None


def _bad_query(raw: bytes) -> tuple | None:
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        for text in (key, value):
            decoded = unquote_to_bytes(text.encode("latin-1"))
            try:
                bad = b"\x00" in decoded or "\x00" in text or bool(_UNSTORABLE.search(decoded.decode("utf-8")))
            except UnicodeDecodeError:
                bad = True
            if bad:
                return (key,)
    return None


def _bad_body(body: bytes, content_type: str) -> tuple | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _bad_query(body) or (() if b"\x00" in body else None)
    if "json" in content_type and body:
        try:
            return unstorable_at(json.loads(body))
        except ValueError:  # not JSON at all: the route's validation answers it
            pass
    return () if b"\x00" in body else None


def _where_unstorable(scope, body: bytes, content_type: str) -> list | None:
    """The `loc` of the first text the database could not store (path, query or body)."""
    if "\x00" in scope.get("path", ""):
        return ["path"]
    if (found := _bad_query(scope.get("query_string", b""))) is not None:
        return ["query", *found]
    if (found := _bad_body(body, content_type)) is not None:
        return ["body", *found]
    return None


def _problem(status: int, code: str, title: str, detail: str | None = None, **extra) -> bytes:
    body = {"type": f"https://docs.coditect.ai/problems/{code}", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return json.dumps(body).encode()


def _where(exc: BaseException) -> str:
    """file:line of the deepest frame of our own code (no values, no message)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/server/" in f.filename and "site-packages" not in f.filename] or frames
    last = ours[-1] if ours else None
    return f"{last.filename.rsplit('/server/', 1)[-1]}:{last.lineno}" if last else "?"


class Guards:
    def __init__(self, app, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = secrets.token_hex(8)
        started = False

        async def send_with_id(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []),
                                                   (b"x-request-id", request_id.encode())]}
            await send(message)

        async def answer(status: int, body: bytes, headers: tuple = ()):
            await send_with_id({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()), *headers]})
            await send_with_id({"type": "http.response.body", "body": body})

        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        try:
            body = await self._read_body(headers, receive)
        except _TooLarge:
            return await answer(413, _problem(413, "body_too_large", "The request is too large.",
                                              f"Send at most {self.max_body} bytes.", limit=self.max_body),
                                ((b"connection", b"close"),))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        loc = _where_unstorable(scope, body, content_type)
        if loc is not None:  # the shape of every other validation error, so clients show it by its field
            errors = [{"loc": [str(part) for part in loc], "msg": UNSTORABLE_MESSAGE, "type": "unstorable_text"}]
            return await answer(422, _problem(422, "validation_error", "The request is not valid.", errors=errors))
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay, send_with_id)
        except PoolTimeout:
            log.warning("request %s: no database connection free (pool exhausted)", request_id)
            if not started:
                await answer(503, _problem(503, "server_busy", "The server is busy.",
                                           f"Try again in {RETRY_AFTER_S} seconds.", retry_after=RETRY_AFTER_S),
                             ((b"retry-after", str(RETRY_AFTER_S).encode()),))
        except Exception as exc:  # noqa: BLE001 - the one place unexpected errors end
            log.error("request %s: %s %s failed: %s at %s", request_id, scope.get("method"),
                      _route(scope), type(exc).__name__, _where(exc))
            if not started:
                await answer(500, _problem(500, "internal_error", "Something went wrong on the server.",
                                           f"Quote request id {request_id} when you report it.",
                                           request_id=request_id))

    async def _read_body(self, headers: dict, receive) -> bytes:
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge()
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _route(scope) -> str:
    """The path without its query (paths hold random ids only; queries may hold search text)."""
    return scope.get("path", "")
