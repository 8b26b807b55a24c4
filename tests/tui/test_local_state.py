"""Config, hardware id and install options: what the console knows about this machine."""

import os
import stat
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from tui import hardware
from tui import preferences
from tui.config import AppConfig
from tui.install_choice import docker_problem, options, save_choice, saved_choice


def test_config_from_args_and_environment(tmp_path):
    env = {"CODITECT_API_URL": "https://api.example.com/", "CODITECT_DATA_DIR": str(tmp_path / "d"),
           "CODITECT_CONFIG_DIR": str(tmp_path / "c")}
    config = AppConfig.from_args(Namespace(api_url=None, data_dir=None, no_keyring=True), env)
    assert config.api_url == "https://api.example.com" and not config.embedded
    assert config.server_label == "api.example.com" and config.outbox_dir is None
    assert config.data_dir == tmp_path / "d" and config.config_dir == tmp_path / "c" and config.no_keyring
    flag = AppConfig.from_args(Namespace(api_url="http://10.0.0.5:8765", data_dir=None, no_keyring=False), env)
    assert flag.api_url == "http://10.0.0.5:8765"  # the flag wins over the environment


def test_embedded_is_the_default(tmp_path):
    config = AppConfig.from_args(Namespace(api_url=None, data_dir=str(tmp_path), no_keyring=False), {})
    assert config.embedded and config.server_label == "embedded server (this computer)"
    assert config.outbox_dir == tmp_path / "outbox"


def test_preferences_are_merged_and_private(tmp_path):
    config = AppConfig(data_dir=tmp_path / "d", config_dir=tmp_path / "c")
    assert preferences.load(config) == preferences.Preferences()
    with preferences.edit(config) as prefs:
        prefs.qr_mode = "full"
    with preferences.edit(config) as prefs:
        prefs.install_choices["embedded|u1"] = "docker"
    assert preferences.load(config) == preferences.Preferences(qr_mode="full", install_choices={"embedded|u1": "docker"})
    path = config.config_dir / "preferences.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Hand-edited nonsense is ignored field by field, never a crash.
    path.write_text('{"qr_mode": "sideways", "last_account": ["x"], "seat_here": {"o": 5, "p": null}}')
    assert preferences.load(config) == preferences.Preferences(seat_here={"p": None})
    path.write_text("not json")
    assert preferences.load(config) == preferences.Preferences()


def _hardware_id_in_subprocess(data_dir: Path, env_extra: str = "") -> str:
    code = f"{env_extra}\nfrom tui.hardware import hardware_id; print(hardware_id({str(data_dir)!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    return out.stdout.strip()


def test_hardware_id_is_stable_across_calls_and_processes(tmp_path):
    first = hardware.hardware_id(tmp_path)
    assert first == hardware.hardware_id(tmp_path)
    assert first == _hardware_id_in_subprocess(tmp_path)
    assert len(first) == 64 and int(first, 16) >= 0
    machine_id = hardware.os_machine_id()
    if machine_id:  # the raw OS identifier is never sent
        assert machine_id not in first


def test_without_an_os_machine_id_a_persisted_id_is_used(tmp_path, monkeypatch):
    # A container without /etc/machine-id: the OS files are what is missing.
    missing = (str(tmp_path / "no-machine-id"),)
    monkeypatch.setattr(hardware, "_LINUX_ID_FILES", missing)
    if sys.platform in ("darwin", "win32"):
        pytest.skip("Linux machine-id files only")
    first = hardware.hardware_id(tmp_path / "data")
    stored = tmp_path / "data" / hardware.FALLBACK_FILE
    assert stored.exists() and stat.S_IMODE(stored.stat().st_mode) == 0o600
    patch = f"import tui.hardware as h; h._LINUX_ID_FILES = {missing!r}"
    assert first == hardware.hardware_id(tmp_path / "data") == _hardware_id_in_subprocess(tmp_path / "data", patch)
    assert first != hardware.hardware_id(tmp_path / "other-data")


def test_device_name_names_host_and_system():
    name = hardware.device_name()
    assert name and len(name) <= 200 and "(" in name


def _path_with(tmp_path, *programs, body: str = "exit 0") -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for program in programs:
        exe = bin_dir / program
        exe.write_text(f"#!/bin/sh\n{body}\n")
        exe.chmod(0o755)
    return str(bin_dir)


def _docker(tmp_path, script: str) -> str:
    """A docker program answering `docker info` as `script` says (the process boundary)."""
    return _path_with(tmp_path, "docker", body=script)


def test_install_options_follow_what_the_machine_has(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    mac, docker, later = options(docker_problem(), platform="linux")
    assert (mac.id, docker.id, later.id) == ("macos", "docker", "later") and later.supported
    assert not mac.supported and "macOS" in mac.why_not
    assert not docker.supported and "not installed" in docker.why_not and "`" not in docker.why_not
    monkeypatch.setenv("PATH", _path_with(tmp_path, "docker"))
    mac, docker, _later = options(docker_problem(), platform="darwin")
    assert mac.supported and mac.why_not is None and docker.supported and docker.why_not is None


def test_docker_counts_only_when_its_daemon_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _docker(tmp_path, 'echo "Cannot connect to the Docker daemon" >&2; exit 1'))
    assert "installed but not running" in docker_problem()
    monkeypatch.setenv("PATH", _docker(tmp_path, "exec /bin/sleep 5"))
    assert "did not answer" in docker_problem(timeout=0.3)
    monkeypatch.setenv("PATH", _docker(tmp_path, 'test "$1" = info && exit 0; exit 3'))
    assert docker_problem() is None


def test_install_choice_is_stored_per_server_and_account(tmp_path):
    config = AppConfig(data_dir=tmp_path / "d", config_dir=tmp_path / "c")
    ada, bob = "embedded:/d|user-ada", "embedded:/d|user-bob"
    assert saved_choice(config, ada) is None and saved_choice(config, None) is None
    save_choice(config, ada, "docker")
    assert saved_choice(config, ada) == "docker"
    assert saved_choice(config, bob) is None  # another account on this machine chooses for itself
    assert saved_choice(config, "https://api.example.com|user-ada") is None
    with pytest.raises(ValueError):
        save_choice(config, ada, "windows")
    assert os.path.exists(config.config_dir / "preferences.json")
