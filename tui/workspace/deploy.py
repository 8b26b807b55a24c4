"""Deploying the Docker workspace, one step at a time (the screen shows each):

key -> register it -> credential (minted once per deployment; re-deploying reuses it) ->
folder -> checks -> `docker compose up` -> the ssh line. `remove()` tears the workspace
down and revokes its credential.

The deployment's own record (deployment.json in the folder: port, credential id, key path)
is what makes a second run an update in place rather than a second workspace.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from tui.workspace import compose as compose_runner
from tui.workspace.folder import Deployment, write_deployment
from tui.workspace.keys import KeyPair, find_or_make_key
from tui.workspace.preflight import Preflight, run_preflight

DEFAULT_PORT = 2222
RECORD = "deployment.json"


@dataclass
class DeploymentRecord:
    port: int
    credential_id: str | None = None
    key_path: str | None = None
    api_url: str | None = None


def read_record(folder: Path) -> DeploymentRecord | None:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        return DeploymentRecord(**{k: data.get(k) for k in ("port", "credential_id", "key_path", "api_url")})
    except (OSError, ValueError, TypeError):
        return None


def write_record(folder: Path, record: DeploymentRecord) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD).write_text(json.dumps(asdict(record), indent=1) + "\n", encoding="utf-8")


def use_host_network() -> bool:
    """Linux shares the host's network (the API on 127.0.0.1 is reachable as is); Docker
    Desktop (macOS) publishes the port on 127.0.0.1 and reaches the host as host.docker.internal."""
    return platform.system() == "Linux"


def container_api_url(api_url: str, host_network: bool) -> str:
    if host_network:
        return api_url
    parts = urlsplit(api_url)
    if parts.hostname in ("127.0.0.1", "localhost", "::1"):
        netloc = "host.docker.internal" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return api_url


@dataclass
class Plan:
    """What the user chose (or the defaults)."""

    folder: Path
    ssh_dir: Path
    api_url: str | None  # None: the embedded server, which a container cannot reach
    port: int = DEFAULT_PORT
    base_image: str = "ubuntu:24.04"
    host_network: bool = True
    project: str = "coditect-workspace"


class Deployer:
    """The steps, in order; each returns what the screen shows next."""

    def __init__(self, api, plan: Plan) -> None:
        self.api = api  # tui.api.ApiClient, signed in
        self.plan = plan
        self.record = read_record(plan.folder)
        self.key: KeyPair | None = None
        self.deployment: Deployment | None = None

    @property
    def port(self) -> int:
        return self.record.port if self.record else self.plan.port

    def preflight(self) -> Preflight:
        return run_preflight(self.port, self.plan.api_url, port_is_ours=self.running())

    def running(self) -> bool:
        """Is this deployment's workspace up (so its port is taken by itself)?"""
        if self.record is None:
            return False
        with socket.socket() as s:
            s.settimeout(1)
            try:
                s.connect(("127.0.0.1", self.port))
                return (self.plan.folder / "credential").exists()
            except OSError:
                return False

    def choose_port(self, port: int) -> None:
        self.plan.port = port
        if self.record:
            self.record.port = port

    async def register_key(self) -> KeyPair:
        key_path = Path(self.record.key_path) if self.record and self.record.key_path else None
        self.key = find_or_make_key(key_path.parent if key_path else self.plan.ssh_dir)
        await self.api.add_ssh_key(self.key.public_line, name=f"{socket.gethostname()[:60]} workspace key")
        return self.key

    async def write_folder(self) -> list[Path]:
        assert self.key is not None and self.plan.api_url is not None
        credential = None
        record = self.record or DeploymentRecord(port=self.plan.port)
        if not record.credential_id or not (self.plan.folder / "credential").exists():
            created = await self.api.create_deployment_credential(f"Docker workspace on {socket.gethostname()[:80]}")
            credential, record.credential_id = created.credential, created.id
        record.key_path, record.api_url = str(self.key.private_path), self.plan.api_url
        self.deployment = Deployment(
            folder=self.plan.folder, port=record.port, public_key=self.key.public_line,
            api_url=container_api_url(self.plan.api_url, self.plan.host_network),
            base_image=self.plan.base_image, host_network=self.plan.host_network, project=self.plan.project,
        )
        written = write_deployment(self.deployment, credential)
        write_record(self.plan.folder, record)
        self.record = record
        return written

    async def up(self, compose: list[str] | None, on_event: Callable) -> compose_runner.ComposeResult:
        assert self.deployment is not None
        return await compose_runner.up(compose, self.deployment.compose_file, on_event)

    def ssh_line(self) -> str:
        key = self.key.private_path if self.key else None
        default = key is not None and key.name == "id_ed25519"
        line = f"ssh -p {self.port} coditect@127.0.0.1"
        return line if default or key is None else f"ssh -i {key} -p {self.port} coditect@127.0.0.1"

    async def remove(self, compose: list[str] | None, on_event: Callable) -> compose_runner.ComposeResult:
        """docker compose down (with its volumes), then revoke the credential and delete it."""
        folder = self.plan.folder
        host = self.record is not None and (folder / "compose.host.yaml").exists() and self.plan.host_network
        compose_file = folder / ("compose.host.yaml" if host else "compose.yaml")
        result = await compose_runner.down(compose, compose_file, on_event)
        if not result.ok:
            return result
        if self.record and self.record.credential_id:
            await self.api.revoke_deployment_credential(self.record.credential_id)
        for name in ("credential", ".env", RECORD):
            (folder / name).unlink(missing_ok=True)
        self.record = None
        return result


def default_folder(data_dir: Path) -> Path:
    return data_dir / "workspace"


def default_ssh_dir() -> Path:
    return Path(os.path.expanduser("~")) / ".ssh"
