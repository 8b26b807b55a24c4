"""The deploy screen's one seam into tui/: what to show and what each key does.

WorkspaceFlow(session) builds the plan from the console's configuration (folder in the data
directory, key in ~/.ssh, port 2222 or CODITECT_WORKSPACE_PORT, base image ubuntu:24.04 or
CODITECT_WORKSPACE_BASE_IMAGE), runs the checks, deploys step by step, and removes.
With the embedded server (in-process, no address a container can reach) it can start
`coditect-console server` on the same data directory for the workspace.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tui.workspace.compose import ProgressEvent
from tui.workspace.deploy import DEFAULT_PORT, Deployer, Plan, default_ssh_dir, read_record, use_host_network
from tui.workspace.failures import Failure, explain
from tui.workspace.preflight import Check, Preflight, api_answers, next_free_port, port_is_free

EMBEDDED_API_PORT = 8765


@dataclass
class Outcome:
    ok: bool
    ssh_line: str | None = None
    failure: Failure | None = None
    files: list[Path] = field(default_factory=list)


def check_line(check: Check) -> str:
    mark = "✓" if check.ok else "✗"
    return f"{mark} {check.name}" + (f" ({check.detail})" if check.ok and check.detail else "")


def _tilde(path: Path) -> str:
    home = Path(os.path.expanduser("~"))
    try:
        return "~/" + str(Path(path).relative_to(home))
    except ValueError:
        return str(path)


class WorkspaceFlow:
    def __init__(self, session, env: dict | None = None) -> None:
        env = os.environ if env is None else env
        self.session = session
        self.config = session.config
        self.api_url: str | None = self.config.api_url
        self.api_process: subprocess.Popen | None = None
        self.plan = Plan(
            folder=self.config.data_dir / "workspace", ssh_dir=default_ssh_dir(), api_url=self.api_url,
            port=int(env.get("CODITECT_WORKSPACE_PORT") or DEFAULT_PORT),
            base_image=env.get("CODITECT_WORKSPACE_BASE_IMAGE") or "ubuntu:24.04",
            host_network=use_host_network(), project=env.get("CODITECT_WORKSPACE_PROJECT") or "coditect-workspace",
        )
        self.deployer = Deployer(session.api, self.plan)
        self.preflight: Preflight | None = None

    # -- what the screen shows -------------------------------------------------------------

    def facts(self) -> list[tuple[str, str]]:
        key = self.deployer.key
        record = read_record(self.plan.folder)
        return [
            ("Key", f"{_tilde(key.private_path)}  {key.fingerprint}" if key else "~/.ssh/id_ed25519, or a new one"),
            ("Folder", _tilde(self.plan.folder)),
            ("Port", f"127.0.0.1:{self.deployer.port}"),
            ("API", self.api_url or "built-in server (not reachable from a container)"),
            ("Deployed", "yes (d updates it in place)" if record else "no"),
        ]

    @property
    def embedded(self) -> bool:
        return self.config.embedded

    @property
    def deployed(self) -> bool:
        return read_record(self.plan.folder) is not None

    # -- steps -------------------------------------------------------------------------------

    async def check(self) -> Preflight:
        self.plan.api_url = self.api_url
        self.preflight = await asyncio.to_thread(self.deployer.preflight)
        return self.preflight

    def use_port(self, port: int) -> None:
        self.deployer.choose_port(port)

    async def deploy(self, on_step: Callable[[str], None], on_event: Callable[[ProgressEvent], None]) -> Outcome:
        preflight = await self.check()
        if not preflight.ok:
            return Outcome(False, failure=preflight.failure)
        try:
            on_step("Registering your SSH key…")
            await self.deployer.register_key()
            on_step("Writing the deployment folder…")
            files = await self.deployer.write_folder()
        except (OSError, ValueError) as exc:  # API errors go up: the screen shows them in words
            return Outcome(False, failure=Failure("folder", f"The deployment folder could not be written: "
                                                            f"{exc.__class__.__name__}.",
                                                  f"Check that {_tilde(self.plan.folder)} is writable."))
        on_step("Building and starting the workspace (docker compose)…")
        result = await self.deployer.up(preflight.compose, on_event)
        if not result.ok:
            return Outcome(False, failure=result.failure, files=files)
        return Outcome(True, ssh_line=self.deployer.ssh_line(), files=files)

    async def remove(self, on_event: Callable[[ProgressEvent], None]) -> Outcome:
        preflight = self.preflight or await self.check()
        if preflight.compose is None:
            return Outcome(False, failure=preflight.failure)
        result = await self.deployer.remove(preflight.compose, on_event)
        return Outcome(result.ok, failure=result.failure)

    async def start_api(self) -> str:
        """Embedded mode: serve the same data directory with uvicorn on 127.0.0.1 so the
        container can reach it. It keeps running after the console quits."""
        port = EMBEDDED_API_PORT if port_is_free(EMBEDDED_API_PORT) else next_free_port(EMBEDDED_API_PORT)
        url = f"http://127.0.0.1:{port}"
        log = open(self.config.data_dir / "workspace-api.log", "ab")
        self.api_process = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "server", "--data-dir", str(self.config.data_dir),
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.api_process.poll() is not None:
                raise RuntimeError("the API server exited; see workspace-api.log in the data folder")
            if await asyncio.to_thread(api_answers, url, 1):
                self.api_url = self.plan.api_url = url
                return url
            await asyncio.sleep(0.3)
        raise RuntimeError("the API server did not answer within 30 s")


def failure_text(failure: Failure) -> str:
    return f"{failure.sentence} {failure.fix}"


__all__ = ["WorkspaceFlow", "Outcome", "check_line", "failure_text", "explain"]
