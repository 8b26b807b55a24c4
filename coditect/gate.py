"""The workspace's session gate: sshd runs it for every SSH session (ForceCommand).

One SSH session = one server-side sign-in and one `container_session` seat, for exactly as
long as the session lives:

1. the key of this session (SSH_USER_AUTH, ExposeAuthInfo) -> its SHA256 fingerprint;
2. the credential broker (root, holds the deployment credential) opens a container session
   for that fingerprint -> tokens + seat; a refusal prints one line and exits non-zero;
3. the session file (CODITECT_SESSION) is written; the user's shell or SSH_ORIGINAL_COMMAND
   (sftp too) runs as a child;
4. a heartbeat thread keeps the seat (interval from the server), refreshes the access token,
   and rewrites the session file; a heartbeat answered 401/404/410 (session or user revoked,
   seat gone) or license_expired ends the child;
5. the gate watches sshd (its parent): a dead connection ends the child at once;
6. at the end: release the seat, sign the session out, remove the file.

SIGPIPE is ignored (a write to a dead client must not kill the gate before it releases);
SIGHUP/SIGTERM end the child and release. The server's seat TTL is the backstop for what
the gate cannot see (the container killed, the host powered off).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from coditect.api import ApiClient, ApiProblem, ApiUnreachable
from coditect.gate_broker import BROKER_SOCKET, ask_broker, open_with_credential
from coditect.session_file import new_session_file, write_session_file
from coditect.sshkey import SshKeyError, parse_public_key

__all__ = ["main", "key_from_auth_info", "refusal_line"]

CONFIG_FILE = "/etc/coditect/workspace.json"
SFTP_SERVERS = ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server")
EX_NOPERM, EX_TEMPFAIL, EX_CONFIG = 77, 75, 78
POLL_S = 0.5
ENDED_CODES = {401, 404, 410}

_REFUSALS = {
    "key_not_registered": "this SSH key is not registered to your CODITECT account. Register it in CODITECT "
                          "Console (Docker workspace), then connect again.",
    "no_seats_available": "no license seat is free. Ask your administrator to free or add a seat, then connect again.",
    "account_disabled": "your CODITECT account is disabled. Ask your administrator.",
    "license_expired": "your organization's license has expired. Ask your administrator to renew it.",
    "license_not_found": "your organization has no license. Ask your administrator to activate one.",
    "credential_invalid": "this workspace's credential was revoked. Deploy the workspace again from CODITECT Console.",
}


def refusal_line(code: str, message: str) -> str:
    return "coditect: " + _REFUSALS.get(code, message.rstrip(".") + ".")


def say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except OSError:
        pass  # the client is gone; the gate still has to release


def key_from_auth_info(text: str) -> str | None:
    """The public key the session authenticated with: the first `publickey TYPE BASE64` line."""
    for line in text.splitlines():
        method, _, rest = line.partition(" ")
        if method == "publickey" and rest:
            return rest.strip()
    return None


def load_config() -> dict:
    config: dict = {}
    path = os.environ.get("CODITECT_WORKSPACE_CONFIG", CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        pass
    for key, env in (("api_url", "CODITECT_API_URL"), ("broker_socket", "CODITECT_BROKER_SOCKET"),
                     ("credential_file", "CODITECT_CREDENTIAL_FILE"), ("device_name", "CODITECT_DEVICE_NAME")):
        if os.environ.get(env):
            config[key] = os.environ[env]
    config.setdefault("broker_socket", BROKER_SOCKET)
    return config


def open_container_session(config: dict, fingerprint: str, hardware_id: str) -> dict:
    request = {"fingerprint": fingerprint, "hardware_id": hardware_id,
               "device_name": config.get("device_name") or socket.gethostname()}
    if os.path.exists(config["broker_socket"]):
        try:
            return ask_broker(config["broker_socket"], request)
        except (OSError, ValueError) as exc:
            return {"ok": False, "status": 0, "code": "broker_error", "message": f"The credential broker did not answer ({type(exc).__name__})"}
    # Outside the container (tests on a plain sshd): the credential file, if this user may read it.
    try:
        with open(config.get("credential_file") or "", encoding="utf-8") as f:
            credential = f.read().strip()
    except OSError:
        return {"ok": False, "status": 0, "code": "broker_error",
                "message": "The workspace's credential broker is not running"}
    return open_with_credential(config["api_url"], credential, request)


class Session:
    """The live sign-in of this SSH session: tokens, seat, session file."""

    def __init__(self, api_url: str, opened: dict, hardware_id: str) -> None:
        self.api = ApiClient(api_url, opened["access_token"], timeout=10)
        self.refresh_token = opened["refresh_token"]
        self.token_expires_at = time.monotonic() + int(opened["expires_in"])
        self.seat = opened["seat"]
        self.interval = max(1, int(self.seat["heartbeat_interval_s"]))
        self.values = {"api_url": api_url, "access_token": opened["access_token"],
                       "session_id": opened["session_id"], "seat_id": self.seat["seat_id"],
                       "lease_token": self.seat["lease_token"], "hardware_id": hardware_id,
                       "user_email": opened["user_email"]}
        self.path = new_session_file()
        write_session_file(self.path, self.values)
        self.ended_reason: str | None = None  # set when the server says this session is over
        self._lock = threading.Lock()  # a heartbeat never rewrites the file after close() removed it
        self.closed = False

    def _refresh(self) -> None:
        answer = self.api.post("/api/v1/auth/refresh", {"refresh_token": self.refresh_token}, token="")
        self.refresh_token = answer["refresh_token"]
        self.api.token = self.values["access_token"] = answer["access_token"]
        self.token_expires_at = time.monotonic() + int(answer["expires_in"])

    def heartbeat(self) -> None:
        """One heartbeat (refreshing the access token first when it is near its end). Sets
        ended_reason when the server says the session, the user or the seat is over."""
        try:
            if time.monotonic() > self.token_expires_at - 2 * self.interval - 30:
                self._refresh()
            lease = self.api.put("/api/v1/licenses/heartbeat", {"seat_id": self.seat["seat_id"]})
        except ApiProblem as exc:
            if exc.status in ENDED_CODES or exc.code == "license_expired":
                self.ended_reason = exc.message
            return
        except (ApiUnreachable, KeyError, TypeError, ValueError):
            return  # a blip: the next heartbeat tries again; the server's TTL decides
        with self._lock:
            if self.closed:
                return
            self.values["lease_token"] = lease["lease_token"]
            write_session_file(self.path, self.values)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self.path.unlink(missing_ok=True)
        for call in (lambda: self.api.delete("/api/v1/licenses/release", {"seat_id": self.seat["seat_id"]}),
                     lambda: self.api.post("/api/v1/auth/logout")):
            try:
                call()
            except (ApiProblem, ApiUnreachable):
                pass


def child_command() -> list[str]:
    shell = os.environ.get("SHELL") or "/bin/sh"
    original = os.environ.get("SSH_ORIGINAL_COMMAND")
    if original is None:
        return [shell, "-l"]
    if original.strip() == "internal-sftp":
        return [next((p for p in SFTP_SERVERS if os.path.exists(p)), SFTP_SERVERS[0])]
    return [shell, "-c", original]


def _end_child(child: subprocess.Popen) -> None:
    """SIGHUP then SIGTERM to the child and its process group (an interactive shell makes its
    own), SIGKILL if it is still there after 3 s."""
    group = _pgid(child.pid)
    for sig in (signal.SIGHUP, signal.SIGTERM):
        try:
            if group is not None and group != os.getpgrp():
                os.killpg(group, sig)
            os.kill(child.pid, sig)
        except OSError:
            pass
    try:
        child.wait(3)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def run_session(session: Session) -> int:
    stop = threading.Event()
    hangup = threading.Event()
    parent = os.getppid()
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, lambda *_: hangup.set())
    env = dict(os.environ, CODITECT_SESSION=str(session.path))
    child = subprocess.Popen(child_command(), env=env)

    def beat() -> None:
        while not stop.wait(session.interval):
            session.heartbeat()
            if session.ended_reason:
                return

    threading.Thread(target=beat, daemon=True).start()
    while child.poll() is None:
        if hangup.wait(POLL_S) or os.getppid() != parent:  # sshd gone: the connection is dead
            _end_child(child)
            break
        if session.ended_reason:
            say(f"\r\ncoditect: this session was ended by CODITECT: {session.ended_reason}")
            _end_child(child)
            break
    stop.set()
    code = child.wait()
    return 1 if session.ended_reason else (128 - code if code < 0 else code)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if argv and argv[0] == "--broker":
        from coditect.gate_broker import main as broker_main
        return broker_main(argv[1:])
    config = load_config()
    try:
        text = Path(os.environ["SSH_USER_AUTH"]).read_text(encoding="utf-8")
        fingerprint = parse_public_key(key_from_auth_info(text) or "").fingerprint
    except (KeyError, OSError, SshKeyError):
        say("coditect: this session did not sign in with an SSH key; only SSH keys are accepted.")
        return EX_NOPERM
    if not config.get("api_url"):
        say("coditect: the workspace has no API address configured (CODITECT_API_URL). Deploy it again.")
        return EX_CONFIG
    hardware_id = f"ssh-{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
    answer = open_container_session(config, fingerprint, hardware_id)
    if not answer.get("ok"):
        say(refusal_line(str(answer.get("code")), str(answer.get("message") or "the session was refused")))
        status = answer.get("status") or 0
        return EX_TEMPFAIL if status in (0, 409) or status >= 500 else EX_NOPERM
    session = Session(config["api_url"], answer["session"], hardware_id)
    try:
        return run_session(session)
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
