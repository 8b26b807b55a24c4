"""The last onboarding step: how to install CODITECT on this machine.

Only what this machine supports is offered as supported, with the reason otherwise.
The installers themselves come later; the choice is stored in the preferences.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass

from tui.config import AppConfig, load_preferences, save_preferences

CHOICES = ("macos", "docker")


@dataclass(frozen=True)
class InstallOption:
    id: str
    title: str
    summary: str
    supported: bool
    why_not: str | None = None


def options(platform: str | None = None) -> list[InstallOption]:
    """What this machine supports (`platform` defaults to sys.platform; docker is
    looked up on PATH)."""
    platform = sys.platform if platform is None else platform
    on_mac = platform == "darwin"
    has_docker = shutil.which("docker") is not None
    return [
        InstallOption(
            id="macos",
            title="macOS native",
            summary="Installs the coditect command in ~/.local/bin on this Mac; runs directly on your files.",
            supported=on_mac,
            why_not=None if on_mac else "Only available on macOS; this computer runs another system.",
        ),
        InstallOption(
            id="docker",
            title="Docker workspace",
            summary="An Ubuntu workspace in a container you reach over SSH; keeps CODITECT isolated from this machine.",
            supported=has_docker,
            why_not=None if has_docker else "Docker is not installed here (no `docker` command found). Install Docker first.",
        ),
    ]


def saved_choice(config: AppConfig) -> str | None:
    value = load_preferences(config).get("install_choice")
    return value if value in CHOICES else None


def save_choice(config: AppConfig, choice: str) -> None:
    if choice not in CHOICES:
        raise ValueError(f"unknown install choice {choice!r}")
    save_preferences(config, install_choice=choice)
