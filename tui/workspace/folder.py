"""The deployment folder: everything `docker compose` needs to build and run the workspace.

Written from the assets inside the installed package (coditect/workspace/) plus the stdlib
`coditect` package itself (the image installs it from the build context: no network). The
secrets in it (.env has none; `credential` has the deployment credential) are 0600.
Writing again replaces the files in place (a re-deploy updates the same folder).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import coditect

ASSETS = Path(coditect.__file__).parent / "workspace"
PACKAGE = Path(coditect.__file__).parent
WORKSPACE_USER = "coditect"
COMPOSE_FILES = {False: "compose.yaml", True: "compose.host.yaml"}


@dataclass(frozen=True)
class Deployment:
    folder: Path
    port: int
    api_url: str
    public_key: str
    base_image: str = "ubuntu:24.04"
    host_network: bool = False  # Linux: share the host's network, sshd on 127.0.0.1 only
    project: str = "coditect-workspace"
    device_name: str = "Docker workspace"

    @property
    def compose_file(self) -> Path:
        return self.folder / COMPOSE_FILES[self.host_network]

    @property
    def ssh_line(self) -> str:
        return f"ssh -p {self.port} {WORKSPACE_USER}@127.0.0.1"


def _env_value(value: str) -> str:
    """One .env value, single-quoted so compose takes it literally (no interpolation)."""
    if "'" in value or "\n" in value:
        raise ValueError("a deployment setting may not contain quotes or line breaks")
    return f"'{value}'"


def env_text(d: Deployment) -> str:
    values = {
        "COMPOSE_PROJECT_NAME": d.project, "SSH_PORT": str(d.port), "CODITECT_API_URL": d.api_url,
        "SSH_PUBLIC_KEY": d.public_key, "BASE_IMAGE": d.base_image, "CODITECT_DEVICE_NAME": d.device_name,
    }
    return "".join(f"{k}={_env_value(v)}\n" for k, v in values.items())


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _copy_package(target: Path) -> None:
    """The `coditect` package's Python files (not its workspace assets) into the build context."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for source in PACKAGE.glob("*.py"):
        shutil.copy2(source, target / source.name)


def write_deployment(d: Deployment, credential: str | None) -> list[Path]:
    """Write (or update) the folder; `credential` None keeps the one already there.
    Returns the files written, for the screen to show."""
    folder = d.folder
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    written = []
    for name in ("Dockerfile", "00-coditect.conf", "entrypoint.sh", "compose.yaml", "compose.host.yaml"):
        shutil.copy2(ASSETS / name, folder / name)
        written.append(folder / name)
    (folder / "bin").mkdir(exist_ok=True)
    for script in (ASSETS / "bin").iterdir():
        shutil.copy2(script, folder / "bin" / script.name)
    os.chmod(folder / "entrypoint.sh", 0o755)
    _copy_package(folder / "coditect")
    _write_private(folder / ".env", env_text(d))
    written.append(folder / ".env")
    if credential is not None:
        _write_private(folder / "credential", credential.strip() + "\n")
    if not (folder / "credential").exists():
        raise FileNotFoundError("the deployment has no credential yet")
    written.append(folder / "credential")
    return written
