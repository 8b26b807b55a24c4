"""The macOS install screen, driven like a user, against the real embedded server serving a
published release; the Mac is injected (platform, home, PATH, shell), everything else is real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.screens.driving import press, screen_name, settle
from tests.screens.test_snapshots import reach
from tui.install.macos import Machine

RELEASE = b"#!/bin/sh\necho coditect\n" * 40  # a fixed release: its size never changes


def publish(data_dir: Path, tmp_path: Path, version: str = "1.0.0", body: bytes = RELEASE) -> None:
    """The real CLI, on the app's data dir (the embedded server's SQLite file)."""
    release = tmp_path / f"release-{version}"
    release.write_bytes(body)
    subprocess.run([sys.executable, "-m", "console.cli", "server", "publish-release", str(release),
                    "--platform", "macos", "--arch", "arm64", "--version", version, "--data-dir", str(data_dir)],
                   check=True, capture_output=True, timeout=60)


def mac(home: Path) -> Machine:
    return Machine(platform="darwin", arch="arm64", home=home, path_env="/usr/bin:/bin", shell="/bin/zsh")


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_choose_macos_install_then_uninstall(config, make_app, clock, tmp_path):
    home = tmp_path / "mac-home"
    home.mkdir()
    publish(config.data_dir, tmp_path)
    app = make_app(config)
    app.install_machine = mac(home)
    async with app.run_test() as pilot:
        await reach(pilot, clock, "install")
        assert screen_name(app) == "InstallChoiceScreen"
        macos = app.screen.query_one("#install-options").get_option("macos")
        assert not macos.disabled  # the injected Mac
        await press(pilot, "enter")
        assert app.screen.chosen == "macos"
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "InstallMacosScreen"
        assert app.session.state().install_choice == "macos"
        facts = dict(app.screen.query_one("#release").rows)
        assert facts == {"Release": "coditect 1.0.0 for macOS arm64, 960 bytes",
                         "Installed": "not installed"}

        await press(pilot, "i")
        bar = app.screen.query_one("#progress")
        assert bar.display and bar.progress == bar.total == len(RELEASE)
        result = shown(app, "#result")
        assert "Installed coditect 1.0.0." in result
        assert "~/.local/bin/coditect → ~/.local/share/coditect/1.0.0/coditect" in result
        assert "open a new terminal window" in result and "Try it: coditect status" in result
        assert (home / ".local/bin/coditect").resolve().read_bytes() == RELEASE
        assert dict(app.screen.query_one("#release").rows)["Installed"] == "1.0.0"

        await press(pilot, "i")  # again: nothing to do
        assert "already installed: nothing to do" in shown(app, "#result")

        await press(pilot, "u")
        assert screen_name(app) == "ConfirmScreen"
        await press(pilot, "y")
        assert "Uninstalled coditect" in shown(app, "#result")
        assert list(home.iterdir()) == []  # .zprofile was created by the install: gone again

        await press(pilot, "escape")
        assert screen_name(app) == "HomeScreen"


async def test_empty_catalog_says_how_to_publish(config, make_app, clock, tmp_path):
    home = tmp_path / "mac-home"
    home.mkdir()
    app = make_app(config)
    app.install_machine = mac(home)
    async with app.run_test() as pilot:
        await reach(pilot, clock, "install")
        await press(pilot, "enter")
        await press(pilot, "ctrl+n")
        assert screen_name(app) == "InstallMacosScreen"
        status = shown(app, "#status")
        assert "No release of the coditect command for macos arm64 is published" in status
        assert "publish-release FILE --platform macos --arch arm64" in status
        assert not app.screen.check_action("install", ())
        await pilot.press("i")
        await settle(pilot)
        assert list(home.iterdir()) == []


async def test_macos_stays_disabled_on_this_linux_machine(config, make_app, clock):
    app = make_app(config)
    async with app.run_test() as pilot:
        await reach(pilot, clock, "install")
        assert app.screen.query_one("#install-options").get_option("macos").disabled
