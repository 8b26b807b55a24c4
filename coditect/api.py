"""A small JSON client for the CODITECT Cloud API (urllib, stdlib only).

`ApiClient(base_url, token=None, timeout=10)`; `get/post/put/delete(path, body=None)` return
the decoded JSON (None for 204). A problem+json answer becomes `ApiProblem` (status, code,
one-line message); no answer at all (refused, DNS, timeout, TLS) becomes `ApiUnreachable`,
so callers can tell "the server said no" from "we are offline".
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

__all__ = ["ApiClient", "ApiError", "ApiProblem", "ApiUnreachable", "USER_AGENT"]

USER_AGENT = "coditect-cli"
DEFAULT_TIMEOUT_S = 10.0


class ApiError(Exception):
    """Base of the client's errors; `message` is one line, fit to print."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiUnreachable(ApiError):
    """No HTTP answer: connection refused, name not found, timeout, TLS failure."""


class ApiProblem(ApiError):
    """The server answered with an error (RFC 9457 problem+json, or any non-2xx)."""

    def __init__(self, status: int, code: str, message: str, body: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body or {}


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _problem(status: int, raw: bytes) -> ApiProblem:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        return ApiProblem(status, "http_error", f"The server answered HTTP {status}.")
    code = body.get("code") if isinstance(body.get("code"), str) else "http_error"
    title = body.get("title") if isinstance(body.get("title"), str) else f"The server answered HTTP {status}."
    return ApiProblem(status, code, _one_line(title), body)


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, body=None, *, token: str | None = None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url(path), data=data, method=method)
        req.add_header("Accept", "application/json, application/problem+json")
        req.add_header("User-Agent", USER_AGENT)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        bearer = token if token is not None else self.token
        if bearer:
            req.add_header("Authorization", f"Bearer {bearer}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            try:
                raw = exc.read()
            finally:
                exc.close()
            raise _problem(exc.code, raw) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiUnreachable(_one_line(f"Cannot reach {self.base_url}: {reason}")) from None
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiProblem(200, "bad_response", "The server's answer was not JSON.") from None

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, body=None, **kw):
        return self.request("DELETE", path, body, **kw)
