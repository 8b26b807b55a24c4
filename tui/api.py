"""The console's client for the CODITECT Cloud API.

Every answer is validated against server.schemas; every failure becomes an ApiError
(tui/errors.py: the words for it). Secrets are never logged.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from server import schemas
from tui.errors import FIELD_WORDS, WEAK_PASSWORD, ApiError, ServerUnreachable, describe  # noqa: F401 (re-exported)

API_PREFIX = "/api/v1"

_SESSION_LIST = TypeAdapter(list[schemas.SessionInfo])


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # time.time() seconds
    session_id: str | None = None
    # After a sign-in: this device's new credential for its next sign-in to the account
    # (kept by tui/credentials.py; see server/services/devices.py).
    device_token: str | None = None

    def __repr__(self) -> str:  # never print a token by accident
        return f"Tokens(session_id={self.session_id!r}, expires_at={self.expires_at!r})"


@dataclass
class LoginResult:
    """Either `tokens` (signed in) or `mfa_token` (the second factor is still needed)."""

    tokens: Tokens | None = None
    mfa_token: str | None = field(default=None, repr=False)

    @property
    def mfa_required(self) -> bool:
        return self.tokens is None


def _tokens(body: BaseModel) -> Tokens:
    return Tokens(access_token=body.access_token, refresh_token=body.refresh_token,
                  expires_at=time.time() + (body.expires_in or 0), session_id=body.session_id,
                  device_token=getattr(body, "device_token", None))


def _device_token(value: str | None) -> str | None:
    """A stored device credential that could not be one (a damaged store) is not sent:
    the sign-in goes on as from an unknown device rather than failing."""
    return value if isinstance(value, str) and 16 <= len(value) <= 512 else None


def _retry_after(response: httpx.Response, body: dict) -> int | None:
    for value in (response.headers.get("retry-after"), body.get("retry_after")):
        try:
            if value is not None:
                return max(0, int(value))
        except (TypeError, ValueError):
            continue
    return None


def _field_messages(body: dict) -> dict[str, str]:
    fields: dict[str, str] = {}
    errors = body.get("errors")
    for error in errors if isinstance(errors, list) else []:
        loc = error.get("loc") if isinstance(error, dict) else None
        names = [str(p) for p in loc if str(p) in FIELD_WORDS] if isinstance(loc, list) else []
        for name in names[-1:]:
            fields[name] = FIELD_WORDS[name]
    return fields


def error_from_response(response: httpx.Response) -> ApiError:
    if response.status_code >= 500:
        return ServerUnreachable("server_error", response.status_code)
    try:
        body = response.json()
        code = body["code"]
        if not isinstance(code, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return ServerUnreachable("bad_answer", response.status_code)
    fields = _field_messages(body) if code == "validation_error" else {}
    message = None
    if code == "weak_password" and body.get("reason") in WEAK_PASSWORD:
        message = fields["password"] = WEAK_PASSWORD[body["reason"]]
    error = ApiError(code, response.status_code, message=message, retry_after=_retry_after(response, body),
                     fields=fields)
    if code == "email_not_verified" and isinstance(body.get("registration"), str):
        error.registration = body["registration"]  # the pending registration's handle, given back
    return error


class ApiClient:
    """Async client; one per app. `tokens` holds the current sign-in; `on_tokens` is
    called (sync or async) whenever they change, so the refresh token can be saved."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 10.0, server_name: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_name = server_name  # e.g. "The server api.example.com", for unreachable errors
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout,
                                       headers={"accept": "application/json"})
        self.tokens: Tokens | None = None
        self.on_tokens: Callable[[Tokens | None], Any] | None = None
        # Reads the saved refresh token (sync or async): another process signed in with the
        # same saved sign-in (a scripting command) may have rotated it since we read it.
        self.saved_refresh_token: Callable[[], Any] | None = None
        self._refresh_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The HTTP client on the API's base URL (for downloads such as a release file)."""
        return self._http

    # -- plumbing ---------------------------------------------------------------------

    async def _send(self, method: str, path: str, *, json: Any = None, auth: bool = False,
                    access_token: str | None = None, params: dict | None = None) -> httpx.Response:
        headers = {}
        if auth:
            headers["authorization"] = f"Bearer {access_token}"
        try:
            response = await self._http.request(method, path, json=json, headers=headers, params=params)
        except httpx.TimeoutException:
            raise ServerUnreachable("timeout", server_name=self.server_name) from None
        except (httpx.HTTPError, OSError):
            raise ServerUnreachable("unreachable", server_name=self.server_name) from None
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def call(self, method: str, path: str, model: type[BaseModel] | TypeAdapter | None = None, *,
                   body: BaseModel | None = None, params: dict | None = None, send_nulls: bool = False):
        """A signed-in request to `path` (under /api/v1) whose answer is validated against
        `model`: for the clients of other API areas (tui/admin_client.py). Query `params`
        whose value is None are left out; `send_nulls` sends the body's None fields as null
        (where null means something, e.g. "remove the limit")."""
        return await self._call(method, path, model, body=body, params=params, send_nulls=send_nulls)

    async def _call(self, method: str, path: str, model: type[BaseModel] | TypeAdapter | None = None, *,
                    body: BaseModel | None = None, auth: bool = True, params: dict | None = None,
                    send_nulls: bool = False):
        payload = body.model_dump(mode="json", exclude_none=not send_nulls) if body is not None else None
        path = API_PREFIX + path if path.startswith("/") and not path.startswith("/.") else path
        params = {k: _param(v) for k, v in (params or {}).items() if v is not None} or None
        if auth:
            response = await self._authed(method, path, payload, params)
        else:
            response = await self._send(method, path, json=payload, params=params)
        if model is None:
            return None
        try:
            data = response.json()
            return model.validate_python(data) if isinstance(model, TypeAdapter) else model.model_validate(data)
        except (ValueError, ValidationError):
            raise ServerUnreachable("bad_answer", response.status_code) from None

    async def _authed(self, method: str, path: str, payload: Any, params: dict | None = None) -> httpx.Response:
        if self.tokens is None:
            raise ApiError("unauthorized", 401)
        used = self.tokens.access_token
        try:
            return await self._send(method, path, json=payload, auth=True, access_token=used, params=params)
        except ApiError as error:
            if error.code != "token_expired":
                raise
        await self._refresh_after_expiry(used)
        return await self._send(method, path, json=payload, auth=True, access_token=self.tokens.access_token,
                                params=params)

    async def _refresh_after_expiry(self, expired_access_token: str) -> None:
        # Two calls may see the same expired token; only the first refreshes, or the
        # second would present a rotated refresh token and end the session.
        async with self._refresh_lock:
            if self.tokens is not None and self.tokens.access_token == expired_access_token:
                await self.refresh()
            elif self.tokens is None:
                raise ApiError("token_expired", 401)

    async def _set_tokens(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        if self.on_tokens is not None:
            result = self.on_tokens(tokens)
            if inspect.isawaitable(result):
                await result

    # -- identity -----------------------------------------------------------------------

    async def register(self, email: str, password: str, full_name: str, organization: str) -> schemas.RegisterResponse:
        body = _request(schemas.RegisterRequest, email=email, password=password, full_name=full_name,
                        organization=organization)
        return await self._call("POST", "/auth/register", schemas.RegisterResponse, body=body, auth=False)

    async def verify_email(self, email: str, code: str, registration: str) -> schemas.StatusResponse:
        body = _request(schemas.VerifyEmailRequest, email=email, code=code, registration=registration)
        return await self._call("POST", "/auth/verify-email", schemas.StatusResponse, body=body, auth=False)

    async def verify_email_link(self, token: str, registration: str | None = None,
                                password: str | None = None) -> schemas.StatusResponse:
        body = _request(schemas.VerifyEmailLinkRequest, token=token.strip(), registration=registration,
                        password=password)
        return await self._call("POST", "/auth/verify-email/link", schemas.StatusResponse, body=body, auth=False)

    async def resend_verification(self, email: str, registration: str) -> None:
        body = _request(schemas.ResendVerificationRequest, email=email, registration=registration)
        await self._call("POST", "/auth/verify-email/resend", None, body=body, auth=False)

    async def preview_invitation(self, token: str) -> schemas.InvitationPreview:
        body = _request(schemas.InvitationTokenRequest, token=token.strip())
        return await self._call("POST", "/auth/invitations/preview", schemas.InvitationPreview, body=body, auth=False)

    async def accept_invitation(self, token: str, full_name: str, password: str) -> schemas.AcceptInvitationResponse:
        body = _request(schemas.AcceptInvitationRequest, token=token.strip(), full_name=full_name, password=password)
        return await self._call("POST", "/auth/invitations/accept", schemas.AcceptInvitationResponse, body=body,
                                auth=False)

    async def login(self, email: str, password: str, device_name: str = "", hardware_id: str | None = None,
                    device_token: str | None = None) -> LoginResult:
        body = _request(schemas.LoginRequest, email=email, password=password, device_name=device_name[:200],
                        hardware_id=hardware_id, device_token=_device_token(device_token))
        answer = await self._call("POST", "/auth/login", schemas.LoginResponse, body=body, auth=False)
        if answer.mfa_required:
            if not answer.mfa_token:
                raise ServerUnreachable("bad_answer")
            return LoginResult(mfa_token=answer.mfa_token)
        if not (answer.access_token and answer.refresh_token):
            raise ServerUnreachable("bad_answer")
        tokens = _tokens(answer)
        await self._set_tokens(tokens)
        return LoginResult(tokens=tokens)

    async def mfa_challenge(self, mfa_token: str, code: str | None = None, recovery_code: str | None = None,
                            device_token: str | None = None) -> Tokens:
        body = _request(schemas.MfaChallengeRequest, mfa_token=mfa_token, code=code, recovery_code=recovery_code,
                        device_token=_device_token(device_token))
        answer = await self._call("POST", "/auth/mfa/challenge", schemas.TokenResponse, body=body, auth=False)
        tokens = _tokens(answer)
        await self._set_tokens(tokens)
        return tokens

    async def forgot_password(self, email: str) -> None:
        body = _request(schemas.ForgotPasswordRequest, email=email)
        await self._call("POST", "/auth/password/forgot", None, body=body, auth=False)

    async def reset_password(self, email: str, new_password: str, *, code: str | None = None,
                             token: str | None = None, totp_code: str | None = None,
                             recovery_code: str | None = None, device_name: str = "",
                             hardware_id: str | None = None) -> Tokens:
        """Signs in: the answer is a new session's tokens."""
        body = _request(schemas.ResetPasswordRequest, email=email, new_password=new_password, code=code,
                        token=token, totp_code=totp_code, recovery_code=recovery_code,
                        device_name=device_name[:200], hardware_id=hardware_id)
        answer = await self._call("POST", "/auth/password/reset", schemas.TokenResponse, body=body, auth=False)
        tokens = _tokens(answer)
        await self._set_tokens(tokens)
        return tokens

    async def change_password(self, current_password: str, new_password: str, *, totp_code: str | None = None,
                              recovery_code: str | None = None) -> None:
        body = _request(schemas.ChangePasswordRequest, current_password=current_password,
                        new_password=new_password, totp_code=totp_code, recovery_code=recovery_code)
        await self._call("POST", "/auth/password/change", schemas.StatusResponse, body=body)

    async def mfa_enroll(self, code: str | None = None, recovery_code: str | None = None) -> schemas.MfaEnrollResponse:
        """Start enrolment; re-enrolling needs the current code (or a recovery code)."""
        body = (_request(schemas.MfaProofRequest, code=code, recovery_code=recovery_code)
                if code or recovery_code else None)
        return await self._call("POST", "/auth/mfa/enroll", schemas.MfaEnrollResponse, body=body)

    async def mfa_enroll_confirm(self, code: str) -> list[str]:
        body = _request(schemas.MfaConfirmRequest, code=code)
        answer = await self._call("POST", "/auth/mfa/enroll/confirm", schemas.RecoveryCodesResponse, body=body)
        return list(answer.recovery_codes)

    async def regenerate_recovery_codes(self, code: str | None = None, recovery_code: str | None = None) -> list[str]:
        body = _request(schemas.MfaProofRequest, code=code, recovery_code=recovery_code)
        answer = await self._call("POST", "/auth/mfa/recovery-codes", schemas.RecoveryCodesResponse, body=body)
        return list(answer.recovery_codes)

    async def refresh(self) -> Tokens:
        if self.tokens is None:
            raise ApiError("unauthorized", 401)
        await self._adopt_saved_refresh_token()
        body = _request(schemas.RefreshRequest, refresh_token=self.tokens.refresh_token)
        try:
            answer = await self._call("POST", "/auth/refresh", schemas.TokenResponse, body=body, auth=False)
        except ApiError as error:
            if not error.retryable:  # the refresh token is dead: forget it
                await self._set_tokens(None)
            raise
        tokens = _tokens(answer)
        await self._set_tokens(tokens)
        return tokens

    async def _adopt_saved_refresh_token(self) -> None:
        # Presenting a token that was rotated elsewhere would end the whole session.
        if self.saved_refresh_token is None or self.tokens is None:
            return
        saved = self.saved_refresh_token()
        if inspect.isawaitable(saved):
            saved = await saved
        if isinstance(saved, str) and saved and saved != self.tokens.refresh_token:
            self.tokens.refresh_token = saved

    async def resume(self, refresh_token: str) -> Tokens:
        """Sign in again with a saved refresh token (it is rotated)."""
        self.tokens = Tokens(access_token="", refresh_token=refresh_token, expires_at=0)
        return await self.refresh()

    async def logout(self) -> None:
        """End this session on the server (best effort) and forget the tokens."""
        try:
            if self.tokens is not None:
                await self._call("POST", "/auth/logout", None)
        except ApiError:
            pass  # signing out locally must always work, even offline
        finally:
            await self._set_tokens(None)

    async def me(self) -> schemas.MeResponse:
        return await self._call("GET", "/auth/me", schemas.MeResponse)

    async def my_sessions(self) -> list[schemas.SessionInfo]:
        return await self._call("GET", "/auth/sessions", _SESSION_LIST)

    async def create_agent_session(self, device_name: str, hardware_id: str | None) -> schemas.TokenResponse:
        """A login session of its own for the coditect command on this device."""
        body = _request(schemas.AgentSessionRequest, device_name=device_name[:200], hardware_id=hardware_id)
        return await self._call("POST", "/auth/agent-sessions", schemas.TokenResponse, body=body)

    async def revoke_my_session(self, session_id: str) -> None:
        await self._call("DELETE", f"/auth/sessions/{_path_segment(session_id)}", None)

    # -- licensing ----------------------------------------------------------------------

    async def licenses(self) -> schemas.LicensesResponse:
        return await self._call("GET", "/licenses", schemas.LicensesResponse)

    async def activate_license(self, license_key: str) -> schemas.LicenseInfo:
        body = _request(schemas.ActivateLicenseRequest, license_key=license_key)
        return await self._call("POST", "/licenses/activate", schemas.LicenseInfo, body=body)

    async def acquire_seat(self, hardware_id: str, device_name: str, kind: str = "desktop",
                           license_key: str | None = None) -> schemas.SeatLease:
        body = _request(schemas.AcquireSeatRequest, hardware_id=hardware_id, device_name=device_name[:200],
                        kind=kind, license_key=license_key)
        return await self._call("POST", "/licenses/acquire", schemas.SeatLease, body=body)

    async def heartbeat(self, seat_id: str) -> schemas.SeatLease:
        body = _request(schemas.SeatRequest, seat_id=seat_id)
        return await self._call("PUT", "/licenses/heartbeat", schemas.SeatLease, body=body)

    async def release_seat(self, seat_id: str) -> None:
        body = _request(schemas.SeatRequest, seat_id=seat_id)
        await self._call("DELETE", "/licenses/release", None, body=body)

    async def jwks(self) -> schemas.Jwks:
        return await self._call("GET", "/.well-known/jwks.json", schemas.Jwks, auth=False)

    async def jwks_rotation(self) -> schemas.JwksRotation:
        """The current keys, each vouched for by a retired key (server/schemas/lease_trust)."""
        return await self._call("GET", "/.well-known/jwks-rotation.json", schemas.JwksRotation, auth=False)

    async def usage_today(self) -> schemas.CommandUsageResponse:
        return await self._call("GET", "/usage/commands", schemas.CommandUsageResponse)

    async def record_command(self, count: int = 1) -> schemas.CommandUsageResponse:
        body = _request(schemas.CommandUsageRequest, count=count)
        return await self._call("POST", "/usage/commands", schemas.CommandUsageResponse, body=body)

    # -- Docker workspace ---------------------------------------------------------------

    async def ssh_keys(self) -> list[schemas.SshKeyInfo]:
        return await self._call("GET", "/workspace/ssh-keys", _SSH_KEY_LIST)

    async def add_ssh_key(self, public_key: str, name: str = "") -> schemas.SshKeyInfo:
        body = _request(schemas.SshKeyAddRequest, public_key=public_key, name=name[:200])
        return await self._call("POST", "/workspace/ssh-keys", schemas.SshKeyInfo, body=body)

    async def create_deployment_credential(self, name: str) -> schemas.DeploymentCredentialCreated:
        body = _request(schemas.DeploymentCredentialRequest, name=name[:200])
        return await self._call("POST", "/workspace/credentials", schemas.DeploymentCredentialCreated, body=body)

    async def revoke_deployment_credential(self, credential_id: str) -> None:
        await self._call("DELETE", f"/workspace/credentials/{_path_segment(credential_id)}", None)


_SSH_KEY_LIST = TypeAdapter(list[schemas.SshKeyInfo])


def _request(model: type[BaseModel], **values) -> BaseModel:
    """Build a request model; what the user typed wrong becomes per-field words, not a
    pydantic dump (which would echo the value, maybe a password)."""
    try:
        return model(**values)
    except ValidationError as error:
        fields = {}
        for item in error.errors():
            name = next((str(p) for p in reversed(item.get("loc", ())) if str(p) in FIELD_WORDS), None)
            if name:
                fields[name] = FIELD_WORDS[name]
        raise ApiError("validation_error", None, fields=fields) from None


def _param(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _path_segment(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ApiError("not_found", None)
    return value
