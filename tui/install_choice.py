"""The last onboarding step: how to install CODITECT on this machine.

An option this machine cannot run is offered disabled, with the reason; "Decide later" is
always there, so onboarding never stops at a machine that can run neither yet. Docker counts as
supported only when its daemon answers (`docker info`, a few seconds at most: call
docker_problem() in a worker). The installers come later; the choice is stored in the
preferences per server and account, since two accounts may install differently.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass

from tui import preferences
from tui.config import AppConfig

TITLES = {"macos": "macOS native", "docker": "Docker workspace", "later": "Decide later"}
CHOICES = tuple(TITLES)
DOCKER_TIMEOUT_S = 3.0

_NO_DOCKER = "Docker is not installed here (no docker command found). Install Docker first."
_DOCKER_DOWN = ("Docker is installed but not running. Start Docker Desktop or the docker service, "
                "then open this step again.")
_DOCKER_SLOW = "Docker is installed but did not answer within a few seconds. Check that it is running."


@dataclass(frozen=True)
class InstallOption:
    id: str
    title: str
    summary: str
    supported: bool
    why_not: str | None = None


def docker_problem(timeout: float = DOCKER_TIMEOUT_S) -> str | None:
    """None when the Docker daemon answers, else why not in plain words. Blocks up to
    `timeout` seconds."""
    program = shutil.which("docker")
    if program is None:
        return _NO_DOCKER
    try:
        answer = subprocess.run([program, "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return _DOCKER_SLOW
    except OSError:
        return _DOCKER_DOWN
    return None if answer.returncode == 0 else _DOCKER_DOWN


def options(docker: str | None, platform: str | None = None) -> list[InstallOption]:
    """What this machine supports; `docker` is docker_problem()'s answer (or words saying
    it is still being checked), `platform` defaults to sys.platform."""
    on_mac = (sys.platform if platform is None else platform) == "darwin"
    return [
        InstallOption(
            id="macos", title=TITLES["macos"],
            summary="Installs the coditect command in ~/.local/bin on this Mac; runs directly on your files.",
            supported=on_mac,
            why_not=None if on_mac else "Only available on macOS; this computer runs another system.",
        ),
        InstallOption(
            id="docker", title=TITLES["docker"],
            summary="An Ubuntu workspace in a container you reach over SSH; keeps CODITECT isolated from this machine.",
            supported=docker is None, why_not=docker,
        ),
        # Always possible, so that a machine that can run neither yet never blocks onboarding.
        InstallOption(
            id="later", title=TITLES["later"],
            summary="Finish now; install later from your account screen (key i).",
            supported=True,
        ),
    ]


def saved_choice(config: AppConfig, owner: str | None) -> str | None:
    value = preferences.load(config).install_choices.get(owner) if owner else None
    return value if value in CHOICES else None


def save_choice(config: AppConfig, owner: str, choice: str) -> None:
    if choice not in CHOICES:
        raise ValueError(f"unknown install choice {choice!r}")
    with preferences.edit(config) as prefs:
        prefs.install_choices[owner] = choice
