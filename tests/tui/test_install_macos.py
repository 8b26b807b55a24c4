"""The macOS installer, run for real on Linux (platform, home, PATH and shell injected)
against the API serving a published release: in-process ASGI, and uvicorn on 127.0.0.1."""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from server.commands.releases import build_zipapp, publish_release
from tui.install.macos import (
    BLOCK_START, InstallError, Machine, Manifest, fetch_manifest, install, read_receipt, uninstall,
)

ZPROFILE = b"export EDITOR=vim\n# a last line without a newline"


def tree(root: Path) -> dict:
    """Everything under root: files with their bytes and modes, symlinks with targets."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir",)
            else:
                found[rel] = ("file", path.read_bytes(), path.stat().st_mode & 0o777)
    return found


@pytest.fixture
def machine(tmp_path) -> Machine:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".zprofile").write_bytes(ZPROFILE)
    return Machine(platform="darwin", arch="arm64", home=home, path_env="/usr/bin:/bin", shell="/bin/zsh")


async def publish(settings, path: Path, version: str, arch: str = "arm64") -> None:
    args = argparse.Namespace(file=str(path), platform="macos", arch=arch, version=version, name=None)
    assert await publish_release(settings, args) == 0


@pytest.fixture
async def released(client, settings, tmp_path):
    """The real zipapp, published as version 1.0.0."""
    pyz = tmp_path / "coditect.pyz"
    build_zipapp(pyz)
    await publish(settings, pyz, "1.0.0")
    return pyz


async def test_install_then_again_then_uninstall(client, released, machine):
    before = tree(machine.home)
    seen = []
    result = await install(client, machine, progress=lambda done, total: seen.append((done, total)))
    assert result.version == "1.0.0" and not result.unchanged and result.new_shell_needed
    size = released.stat().st_size
    assert seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)

    link = machine.home / ".local/bin/coditect"
    target = machine.home / ".local/share/coditect/1.0.0/coditect"
    assert os.readlink(link) == str(target) and target.read_bytes() == released.read_bytes()
    assert os.access(target, os.X_OK)
    done = subprocess.run([sys.executable, str(link), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("coditect ")

    profile = (machine.home / ".zprofile").read_bytes()
    assert profile.startswith(ZPROFILE + b"\n" + BLOCK_START.encode())
    assert profile.count(BLOCK_START.encode()) == 1
    assert b'export PATH="$HOME/.local/bin:$PATH"' in profile
    assert not (machine.home / ".bash_profile").exists()
    receipt = read_receipt(machine)
    assert receipt["version"] == "1.0.0" and receipt["profiles"][0]["existed"] is True

    installed = tree(machine.home)
    again = await install(client, machine)
    assert again.unchanged and not again.new_shell_needed
    assert tree(machine.home) == installed  # nothing changed, no second PATH block

    result = uninstall(machine)
    assert (machine.home / ".zprofile") in result.restored
    assert tree(machine.home) == before  # the profile byte for byte, and no folder left behind
    with pytest.raises(InstallError) as refused:
        uninstall(machine)
    assert refused.value.code == "not_installed"


async def test_checksum_mismatch_installs_nothing(client, released, machine):
    before = tree(machine.home)
    manifest = await fetch_manifest(client, machine)
    wrong = replace(manifest, sha256=hashlib.sha256(b"something else").hexdigest())
    with pytest.raises(InstallError) as refused:
        await install(client, machine, wrong)
    assert refused.value.code == "checksum_mismatch" and "nothing was installed" in refused.value.message
    assert tree(machine.home) == before
    too_small = replace(manifest, size=manifest.size - 1)
    with pytest.raises(InstallError) as refused:
        await install(client, machine, too_small)
    assert refused.value.code == "size_mismatch"
    assert tree(machine.home) == before


async def test_upgrade_swaps_the_link_and_keeps_one_path_block(client, settings, released, machine, tmp_path):
    before = tree(machine.home)
    await install(client, machine)
    newer = tmp_path / "coditect-2"
    newer.write_bytes(released.read_bytes() + b"\n")  # other bytes: a zip still runs with trailing data
    await publish(settings, newer, "1.1.0")
    result = await install(client, machine)
    assert result.upgraded_from == "1.0.0" and result.version == "1.1.0" and not result.profiles_changed
    share = machine.home / ".local/share/coditect"
    assert os.readlink(machine.home / ".local/bin/coditect") == str(share / "1.1.0/coditect")
    assert not (share / "1.0.0").exists()
    assert (machine.home / ".zprofile").read_bytes().count(BLOCK_START.encode()) == 1
    uninstall(machine)
    assert tree(machine.home) == before


async def test_no_path_block_when_local_bin_is_on_path(client, released, machine):
    on_path = replace(machine, path_env=f"/usr/bin:{machine.home}/.local/bin:/bin")
    result = await install(client, on_path)
    assert not result.profiles_changed and not result.new_shell_needed
    assert (machine.home / ".zprofile").read_bytes() == ZPROFILE
    assert read_receipt(on_path)["profiles"] == []


async def test_bash_with_only_a_profile_edits_that_profile(client, released, machine):
    bash = replace(machine, shell="/bin/bash")
    (machine.home / ".profile").write_bytes(b"PS1='$ '\n")
    before = tree(machine.home)
    result = await install(client, bash)
    # Creating ~/.bash_profile would hide ~/.profile from bash: the block goes into ~/.profile.
    assert result.profiles_changed == [machine.home / ".profile"]
    assert not (machine.home / ".bash_profile").exists()
    assert (machine.home / ".zprofile").read_bytes() == ZPROFILE
    uninstall(bash)
    assert tree(machine.home) == before


async def test_bash_without_profiles_gets_a_new_bash_profile_removed_on_uninstall(client, released, machine):
    bash = replace(machine, shell="/bin/bash")
    before = tree(machine.home)
    await install(client, bash)
    assert (machine.home / ".bash_profile").read_bytes().startswith(BLOCK_START.encode())
    uninstall(bash)
    assert tree(machine.home) == before


async def test_uninstall_keeps_edits_made_after_install(client, released, machine):
    await install(client, machine)
    profile = machine.home / ".zprofile"
    profile.write_bytes(profile.read_bytes() + b"alias ll='ls -l'\n")
    result = uninstall(machine)
    assert result.kept_edits == [profile]
    assert profile.read_bytes() == ZPROFILE + b"\nalias ll='ls -l'\n"


async def test_refusals(client, settings, machine):
    with pytest.raises(InstallError) as refused:
        await install(client, machine)
    assert refused.value.code == "no_release"
    assert "publish-release FILE --platform macos --arch arm64" in refused.value.message

    with pytest.raises(InstallError) as refused:
        await install(client, replace(machine, platform="linux"), Manifest("1.0.0", "/x", "0" * 64, 1))
    assert refused.value.code == "not_macos"
    with pytest.raises(InstallError) as refused:
        await fetch_manifest(client, replace(machine, arch="ppc"))
    assert refused.value.code == "unsupported_arch"

    foreign = machine.home / ".local/bin/coditect"
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"#!/bin/sh\necho mine\n")
    with pytest.raises(InstallError) as refused:
        await install(client, machine, Manifest("1.0.0", "/x", "0" * 64, 1))
    assert refused.value.code == "command_exists"
    assert foreign.read_bytes() == b"#!/bin/sh\necho mine\n"
    foreign.unlink()
    foreign.symlink_to("/bin/sh")  # a link of the user's own, to somewhere else
    with pytest.raises(InstallError) as refused:
        await install(client, machine, Manifest("1.0.0", "/x", "0" * 64, 1))
    assert refused.value.code == "command_exists" and os.readlink(foreign) == "/bin/sh"


async def test_agent_state_path_is_recorded_and_removed_on_uninstall(client, released, machine, tmp_path):
    agent = tmp_path / "console-data" / "coditect-agent.json"
    agent.parent.mkdir()
    agent.write_text("{}")
    await install(client, machine, agent_state=agent)
    assert read_receipt(machine)["agent_state"] == str(agent)
    # What coditect reads: the receipt tells it where its sign-in is.
    from coditect.state import find_agent_state

    assert find_agent_state({}, machine.home) == agent
    uninstall(machine)
    assert not agent.exists()


def test_over_real_http(live_server, tmp_path, database_url):
    """uvicorn on 127.0.0.1: the release published with the real command line, then installed."""
    import asyncio

    server = live_server(process=False)
    pyz = tmp_path / "coditect.pyz"
    subprocess.run([sys.executable, "-m", "console.cli", "server", "build-release", str(pyz)], check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "console.cli", "server", "publish-release", str(pyz), "--platform", "macos",
                    "--arch", "x86_64", "--database-url", database_url, "--data-dir", str(tmp_path / "live")],
                   check=True, capture_output=True)
    home = tmp_path / "home"
    home.mkdir()
    machine = Machine(platform="darwin", arch="x86_64", home=home, path_env="/usr/bin", shell="/bin/zsh")

    async def go():
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            return await install(http, machine)

    result = asyncio.run(go())
    assert (home / ".local/bin/coditect").resolve().read_bytes() == pyz.read_bytes()
    assert result.new_shell_needed and (home / ".zprofile").exists()
