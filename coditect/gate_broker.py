"""The credential broker: the one process in the workspace that can read the deployment
credential.

Why: the gate runs as the SSH user (sshd's ForceCommand), and anything the gate can read,
that user's shell can read too. So the credential file is root-only (0600) and this small
root process (started by the container's entrypoint) opens container sessions on the gate's
behalf over a Unix socket. It answers only the workspace user (SO_PEERCRED), and it can do
only what the credential can: open a container session for a key registered to the
deployment's owner. The tokens it returns belong to that one SSH session.

Protocol: one JSON line in ({fingerprint, hardware_id, device_name}), one JSON line out:
{"ok": true, "session": {...ContainerSession}} or {"ok": false, "status", "code", "message"}.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import socketserver
import struct
import sys

from coditect.api import ApiClient, ApiProblem, ApiUnreachable

__all__ = ["BROKER_SOCKET", "ask_broker", "serve"]

BROKER_SOCKET = "/run/coditect/broker.sock"
CONTAINER_SESSIONS = "/api/v1/workspace/sessions"


def open_with_credential(api_url: str, credential: str, request: dict) -> dict:
    """POST /workspace/sessions -> the broker's answer shape (never raises for API errors)."""
    body = {k: request.get(k) for k in ("fingerprint", "hardware_id", "device_name")}
    try:
        return {"ok": True, "session": ApiClient(api_url, credential).post(CONTAINER_SESSIONS, body)}
    except ApiProblem as exc:
        return {"ok": False, "status": exc.status, "code": exc.code, "message": exc.message}
    except ApiUnreachable as exc:
        return {"ok": False, "status": 0, "code": "unreachable", "message": exc.message}


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def serve(socket_path: str, api_url: str, credential_file: str, allowed_user: str) -> None:
    allowed = {0, pwd.getpwnam(allowed_user).pw_uid}

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            if _peer_uid(self.request) not in allowed:
                answer = {"ok": False, "status": 403, "code": "forbidden", "message": "Not the workspace user."}
            else:
                try:
                    request = json.loads(self.rfile.readline(65536) or b"{}")
                    with open(credential_file, encoding="utf-8") as f:
                        credential = f.read().strip()
                    answer = open_with_credential(api_url, credential, request if isinstance(request, dict) else {})
                except (ValueError, OSError) as exc:
                    answer = {"ok": False, "status": 0, "code": "broker_error", "message": f"{type(exc).__name__}"}
            self.wfile.write(json.dumps(answer).encode() + b"\n")

    if os.path.exists(socket_path):
        os.unlink(socket_path)
    os.makedirs(os.path.dirname(socket_path), exist_ok=True)
    server = socketserver.ThreadingUnixStreamServer(socket_path, Handler)
    os.chmod(socket_path, 0o666)  # who may ask is decided by SO_PEERCRED above
    server.daemon_threads = True
    server.serve_forever()


def ask_broker(socket_path: str, request: dict, timeout: float = 30.0) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data or b"{}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="coditect-gate-broker")
    parser.add_argument("--socket", default=BROKER_SOCKET)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--credential-file", required=True)
    parser.add_argument("--user", required=True, help="the workspace user allowed to ask")
    args = parser.parse_args(argv)
    serve(args.socket, args.api_url, args.credential_file, args.user)
    return 0


if __name__ == "__main__":
    sys.exit(main())
