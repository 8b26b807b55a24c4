"""May this machine run one more command? The rules of `coditect run` and `coditect status`.

Online: the sign-in is refreshed if needed (agent state only), the seat heartbeats (or is
acquired with this machine's hardware id, which is idempotent on the server), the new lease
is verified against the pinned keys, and one command is counted against today's quota.
Offline (no answer, or a 5xx): the saved lease must verify against the pinned keys within
its 7-day grace; the clock may not be behind the highest time already seen; the command is
remembered and counted at the next online run.
Every refusal is a `Refused` with a distinct exit code and one line of plain words.
"""

from __future__ import annotations

import platform
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from coditect.api import ApiClient, ApiProblem, ApiUnreachable
from coditect.lease import verify_lease
from coditect.state import (
    SESSION_ENV, StateError, find_agent_state, locked, pins_path, read_json_file, write_private_json,
)

EXIT_SERVER_REFUSED = 69
EXIT_QUOTA_SPENT = 75
EXIT_SEAT_GONE = 76
EXIT_NOT_SIGNED_IN = 77
EXIT_LEASE_INVALID = 78

MAX_SKEW_S = 300
ACCESS_MARGIN_S = 60
ENDED_SIGN_IN = {"session_revoked", "refresh_reused", "refresh_invalid", "refresh_expired", "account_disabled",
                 "token_invalid"}
_INSTALL_AGAIN = "Install the coditect command again from CODITECT Console (Home, key i)."
NOT_SIGNED_IN = "Not signed in: install the coditect command from CODITECT Console (Home, key i)."
_LEASE_WORDS = {
    "expired": "The license lease has expired: connect to the server to renew it.",
    "issued_in_future": "The license lease is dated in the future: check this computer's clock.",
    "other_hardware": "The license lease belongs to another machine.",
    "unknown_kid": "The license lease was signed with a key this command does not know.",
    "bad_signature": "The license lease is not genuine.",
    "malformed": "The license lease cannot be read.",
}


class Refused(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


@dataclass
class Report:
    email: str = ""
    seat_id: str | None = None
    online: bool = False
    lease_until: datetime | None = None
    used: int | None = None
    limit: int | None = None
    resets_at: str | None = None
    pending: int = 0  # commands run offline, not yet counted by the server
    source: str = ""  # "workspace session" | "this device"


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, timezone.utc)


def device_name() -> str:
    host = socket.gethostname().split(".")[0] or "this computer"
    system = {"Darwin": "macOS"}.get(platform.system(), platform.system() or "unknown OS")
    return f"{host} ({system})"[:200]


class _Holder:
    """What both sources share: a lease, pinned keys, the highest time seen."""

    path: Path
    data: dict

    def __init__(self, clock) -> None:
        self.clock = clock

    # pins: {"jwks": {...}, "highest_time_seen": float, "pending": int}
    def pins(self) -> dict:
        raise NotImplementedError

    def save(self) -> None:
        raise NotImplementedError

    def see_time(self, value: float) -> None:
        pins = self.pins()
        pins["highest_time_seen"] = max(float(pins.get("highest_time_seen") or 0), float(value))

    def verify(self, lease_token: str, now: float):
        return verify_lease(lease_token, self.pins().get("jwks") or {}, hardware_id=self.data.get("hardware_id", ""),
                            now=_ts(now), max_skew_s=MAX_SKEW_S)

    def verify_online(self, api: ApiClient, lease_token: str, now: float):
        """Verify a fresh lease; on an unknown key, fetch the server's keys once and pin them."""
        check = self.verify(lease_token, now)
        if check.reason == "unknown_kid":
            jwks = api.get("/.well-known/jwks.json")
            candidate = verify_lease(lease_token, jwks or {}, hardware_id=self.data.get("hardware_id", ""),
                                     now=_ts(now), max_skew_s=MAX_SKEW_S)
            if candidate.valid:
                self.pins()["jwks"] = jwks
            check = candidate
        if not check.valid:
            raise Refused(EXIT_LEASE_INVALID, _LEASE_WORDS.get(check.reason, _LEASE_WORDS["malformed"]))
        return check


class AgentHolder(_Holder):
    """The agent state file: ours to rotate and rewrite."""

    source = "this device"

    def __init__(self, path: Path, clock) -> None:
        super().__init__(clock)
        self.path = path
        self.data = read_json_file(path)

    def pins(self) -> dict:
        return self.data.setdefault("pins", {})

    def save(self) -> None:
        write_private_json(self.path, self.data)

    def signed_in(self) -> bool:
        return bool(self.data.get("refresh_token") and self.data.get("api_url"))

    def end_sign_in(self, code: str) -> None:
        """The server ended this device's sign-in: nothing saved may be used any more."""
        for key in ("refresh_token", "access_token", "access_expires_at", "lease_token", "seat_id"):
            self.data.pop(key, None)
        self.data["ended"] = code
        self.save()

    def access_token(self, api: ApiClient, *, force: bool = False) -> str:
        now = self.clock()
        if not force and self.data.get("access_token") and float(self.data.get("access_expires_at") or 0) > now:
            return self.data["access_token"]
        tokens = api.post("/api/v1/auth/refresh", {"refresh_token": self.data["refresh_token"]})
        self.data["refresh_token"] = tokens["refresh_token"]
        self.data["access_token"] = tokens["access_token"]
        self.data["access_expires_at"] = now + int(tokens.get("expires_in", 0)) - ACCESS_MARGIN_S
        self.save()  # the old refresh token is dead now: never lose the new one
        return tokens["access_token"]


class WorkspaceHolder(_Holder):
    """The gate's session file: read only; pins kept in a file of our own."""

    source = "workspace session"

    def __init__(self, path: Path, pins_file: Path, clock) -> None:
        super().__init__(clock)
        self.path = path
        self.data = read_json_file(path)
        self.pins_file = pins_file
        try:
            self._pins = read_json_file(pins_file)
        except StateError:
            self._pins = {}

    def pins(self) -> dict:
        return self._pins

    def save(self) -> None:
        write_private_json(self.pins_file, self._pins)


def _seat_lease(api: ApiClient, holder: AgentHolder, token: str) -> dict:
    seat_id = holder.data.get("seat_id")
    if seat_id:
        try:
            return api.put("/api/v1/licenses/heartbeat", {"seat_id": seat_id}, token=token)
        except ApiProblem as problem:
            reclaimed = problem.code == "seat_gone" and problem.body.get("reason") == "expired"
            if not (reclaimed or problem.code == "seat_not_found"):
                raise
    return api.post("/api/v1/licenses/acquire", {
        "hardware_id": holder.data["hardware_id"], "device_name": holder.data.get("device_name") or device_name(),
        "kind": "desktop",
    }, token=token)


def _refusal(problem: ApiProblem) -> Refused:
    code, body = problem.code, problem.body
    if code == "quota_exceeded":
        limit = body.get("limit")
        words = f"Today's quota of {limit} commands is spent" if limit is not None else "Today's quota is spent"
        return Refused(EXIT_QUOTA_SPENT, f"{words}; it resets at 00:00 UTC.")
    if code in ("seat_gone", "seat_not_found"):
        return Refused(EXIT_SEAT_GONE, "This machine's license seat was taken back; ask your administrator, "
                                       "or open CODITECT Console to take a seat again.")
    if code == "no_seats_available":
        return Refused(EXIT_SEAT_GONE, "All seats of your license are in use; ask your administrator to free one.")
    if code in ("license_expired", "no_license", "license_not_found"):
        return Refused(EXIT_LEASE_INVALID, f"No usable license: {problem.message}")
    if code in ENDED_SIGN_IN or problem.status == 401:
        return Refused(EXIT_NOT_SIGNED_IN, f"This sign-in was ended ({problem.message}) {_INSTALL_AGAIN}")
    return Refused(EXIT_SERVER_REFUSED, f"The server refused: {problem.message}")


def _count(api: ApiClient, token: str, holder: _Holder, count: bool) -> dict:
    pins = holder.pins()
    pending = int(pins.get("pending") or 0)
    if pending:
        try:  # commands already run offline: counted now, but they are not refused after the fact
            api.post("/api/v1/usage/commands", {"count": pending}, token=token)
        except ApiProblem as problem:
            if problem.code != "quota_exceeded":
                raise
        pins["pending"] = 0
    if count:
        return api.post("/api/v1/usage/commands", {"count": 1}, token=token)
    return api.get("/api/v1/usage/commands", token=token)


def _online_agent(holder: AgentHolder, count: bool) -> Report:
    api = ApiClient(holder.data["api_url"])
    try:
        token = holder.access_token(api)
        try:
            lease = _seat_lease(api, holder, token)
        except ApiProblem as problem:
            if problem.code != "token_expired":
                raise
            token = holder.access_token(api, force=True)
            lease = _seat_lease(api, holder, token)
        holder.data["seat_id"], holder.data["lease_token"] = lease["seat_id"], lease["lease_token"]
        now = holder.clock()
        holder.see_time(now)
        check = holder.verify_online(api, lease["lease_token"], now)
        holder.see_time(check.claims["iat"])  # the server's clock: offline, ours may not go back before it
        holder.save()
        usage = _count(api, token, holder, count)
    except ApiProblem as problem:
        if problem.status >= 500:
            raise  # like no answer: the offline rules decide
        if problem.code in ENDED_SIGN_IN or problem.status == 401:
            holder.end_sign_in(problem.code)
        else:
            holder.save()
        raise _refusal(problem) from None
    holder.save()
    return Report(email=holder.data.get("user_email", ""), seat_id=lease["seat_id"], online=True,
                  lease_until=check.expires_at, used=usage.get("used"), limit=usage.get("limit"),
                  resets_at=usage.get("resets_at"), source=holder.source)


def _online_workspace(holder: WorkspaceHolder, count: bool) -> Report:
    api = ApiClient(holder.data["api_url"])
    token = holder.data.get("access_token") or ""
    now = holder.clock()
    try:
        holder.see_time(now)
        check = holder.verify_online(api, holder.data.get("lease_token") or "", now)
        holder.save()
        usage = _count(api, token, holder, count)
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        holder.save()
        raise _refusal(problem) from None
    holder.save()
    return Report(email=holder.data.get("user_email", ""), seat_id=holder.data.get("seat_id"), online=True,
                  lease_until=check.expires_at, used=usage.get("used"), limit=usage.get("limit"),
                  resets_at=usage.get("resets_at"), source=holder.source)


def _offline(holder: _Holder, count: bool) -> Report:
    lease_token = holder.data.get("lease_token")
    if not lease_token:
        raise Refused(EXIT_LEASE_INVALID, "The server cannot be reached and this machine has no license lease yet.")
    system_now = holder.clock()
    highest = float(holder.pins().get("highest_time_seen") or 0)
    if system_now + MAX_SKEW_S < highest:
        raise Refused(EXIT_LEASE_INVALID, "This computer's clock is behind the last time seen "
                                          f"({_ts(highest):%Y-%m-%d %H:%M} UTC): set it right, or connect.")
    check = holder.verify(lease_token, max(system_now, highest))
    if not check.valid:
        raise Refused(EXIT_LEASE_INVALID, _LEASE_WORDS.get(check.reason, _LEASE_WORDS["malformed"]))
    holder.see_time(system_now)
    if count:
        holder.pins()["pending"] = int(holder.pins().get("pending") or 0) + 1
    holder.save()
    return Report(email=holder.data.get("user_email", ""), seat_id=holder.data.get("seat_id"), online=False,
                  lease_until=check.expires_at, pending=int(holder.pins().get("pending") or 0),
                  source=holder.source)


def _is_offline(error: Exception) -> bool:
    return isinstance(error, ApiUnreachable) or (isinstance(error, ApiProblem) and error.status >= 500)


def check_command(env: dict, home: Path, clock, *, count: bool) -> Report:
    """The whole decision. Raises Refused; returns what `status` shows."""
    session_file = env.get(SESSION_ENV)
    try:
        if session_file:
            holder = WorkspaceHolder(Path(session_file), pins_path(home), clock)
            if not holder.data.get("api_url"):
                raise Refused(EXIT_NOT_SIGNED_IN, "The workspace session file has no sign-in in it.")
            online = _online_workspace
            lock_path = holder.pins_file
        else:
            path = find_agent_state(env, home)
            if path is None:
                raise Refused(EXIT_NOT_SIGNED_IN, NOT_SIGNED_IN)
            holder = AgentHolder(path, clock)
            if not holder.signed_in():
                raise Refused(EXIT_NOT_SIGNED_IN, NOT_SIGNED_IN)
            online = _online_agent
            lock_path = path
    except StateError as exc:
        raise Refused(EXIT_NOT_SIGNED_IN, f"{NOT_SIGNED_IN} ({exc})") from None
    with locked(lock_path):
        # Re-read under the lock: another `coditect` may just have rotated the token.
        holder.data = read_json_file(holder.path) if isinstance(holder, AgentHolder) else holder.data
        if isinstance(holder, AgentHolder) and not holder.signed_in():
            raise Refused(EXIT_NOT_SIGNED_IN, NOT_SIGNED_IN)
        try:
            return online(holder, count)
        except (ApiUnreachable, ApiProblem) as error:
            if not _is_offline(error):
                raise
            return _offline(holder, count)
