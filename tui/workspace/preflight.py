"""Checks before starting the workspace, each with a sentence and a fix when it fails.

docker CLI -> Compose -> the engine answers (and this account may use it) -> architecture ->
the port is free on 127.0.0.1 (or already ours) -> the API answers at the address the
container will use.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass

from tui.workspace import failures
from tui.workspace.compose import compose_command
from tui.workspace.failures import Failure

SUPPORTED_ARCHES = {"x86_64", "amd64", "aarch64", "arm64"}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    failure: Failure | None = None


@dataclass
class Preflight:
    checks: list[Check]
    compose: list[str] | None = None
    free_port: int | None = None  # offered when the chosen port is taken

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failure(self) -> Failure | None:
        return next((c.failure for c in self.checks if not c.ok), None)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def next_free_port(start: int, tries: int = 200) -> int | None:
    for port in range(start + 1, min(start + 1 + tries, 65536)):
        if port_is_free(port):
            return port
    return None


def _docker(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def api_answers(api_url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/healthz", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def run_preflight(port: int, api_url: str | None, *, port_is_ours: bool = False) -> Preflight:
    """Stops at the first failed check (later checks depend on it), except the port and API."""
    checks: list[Check] = []
    result = Preflight(checks)
    if shutil.which("docker") is None:
        checks.append(Check("Docker", False, failure=failures.no_docker()))
        return result
    checks.append(Check("Docker", True))
    result.compose = compose_command()
    if result.compose is None:
        checks.append(Check("Compose", False, failure=failures.no_compose()))
        return result
    checks.append(Check("Compose", True))
    try:
        info = _docker("info", "--format", "{{.Architecture}}")
    except subprocess.TimeoutExpired:
        checks.append(Check("Engine", False, failure=failures.daemon_down()))
        return result
    arch = info.stdout.strip() or "unknown"
    if info.returncode != 0:
        words = (info.stderr or info.stdout).strip()
        checks.append(Check("Engine", False, failure=failures.explain(words) if words else failures.daemon_down()))
        return result
    checks.append(Check("Engine", True))
    if arch not in SUPPORTED_ARCHES:
        checks.append(Check("Architecture", False, arch, failures.explain("no matching manifest")))
    else:
        checks.append(Check("Architecture", True, arch))
    if port_is_ours or port_is_free(port):
        checks.append(Check("Port", True))
    else:
        result.free_port = next_free_port(port)
        checks.append(Check("Port", False, f"127.0.0.1:{port}", failures.port_taken(port, result.free_port)))
    if api_url is None:
        checks.append(Check("API", False, failure=Failure(
            "no_api", "The workspace cannot reach this console's built-in server.",
            "Run `coditect-console server` in another terminal (or press s to start it here), "
            "then deploy again.")))
    elif not api_answers(api_url):
        checks.append(Check("API", False, api_url, Failure(
            "api_down", f"The CODITECT API does not answer at {api_url}.",
            "Start it (coditect-console server) or check the address, then deploy again.")))
    else:
        checks.append(Check("API", True))
    return result
