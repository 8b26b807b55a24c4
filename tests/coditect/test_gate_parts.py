"""The gate's pure parts: the key of the session, fingerprints like ssh-keygen, refusal
lines, the session file (0600, atomic, only the contract's fields), the child command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from coditect.gate import child_command, key_from_auth_info, refusal_line
from coditect.session_file import FIELDS, new_session_file, write_session_file
from coditect.sshkey import SshKeyError, parse_public_key

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDyd2hAHcXyl1vqHOOJm9tvzRlYk8y8xHGkxJNF+A1mT ada@laptop"


def test_the_session_key_is_the_first_publickey_line_of_ssh_user_auth():
    text = "keyboard-interactive\npublickey " + KEY.rsplit(" ", 1)[0] + "\npublickey ssh-rsa AAAA\n"
    assert key_from_auth_info(text) == KEY.rsplit(" ", 1)[0]
    assert key_from_auth_info("password\n") is None


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa", "rsa"])
def test_fingerprints_match_ssh_keygen(tmp_path, key_type):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    path = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, "-N", "", "-f", str(path)], check=True)
    printed = subprocess.run(["ssh-keygen", "-lf", f"{path}.pub"], capture_output=True, text=True).stdout.split()[1]
    assert parse_public_key((tmp_path / "k.pub").read_text()).fingerprint == printed


def test_a_damaged_key_is_refused():
    with pytest.raises(SshKeyError):
        parse_public_key(KEY.replace("AAAAC3", "AAAAB3"))


def test_refusals_are_one_line_and_unknown_codes_keep_the_servers_title():
    assert refusal_line("no_seats_available", "x") == (
        "coditect: no license seat is free. Ask your administrator to free or add a seat, then connect again.")
    assert refusal_line("something_new", "The thing failed.") == "coditect: The thing failed."
    assert "\n" not in refusal_line("key_not_registered", "")


def test_the_session_file_is_private_atomic_and_holds_the_contract(tmp_path, monkeypatch):
    monkeypatch.setenv("CODITECT_SESSION_DIR", str(tmp_path))
    path = new_session_file()
    write_session_file(path, {"api_url": "http://127.0.0.1:1", "access_token": "a", "extra": "dropped"})
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert set(json.loads(path.read_text())) == set(FIELDS)
    write_session_file(path, {"seat_id": "s2"})
    assert json.loads(path.read_text())["seat_id"] == "s2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no leftovers from the rename


def test_the_child_is_a_login_shell_the_command_or_sftp(monkeypatch):
    monkeypatch.setenv("SHELL", "/bin/bash")
    monkeypatch.delenv("SSH_ORIGINAL_COMMAND", raising=False)
    assert child_command() == ["/bin/bash", "-l"]
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "ls -la")
    assert child_command() == ["/bin/bash", "-c", "ls -la"]
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "internal-sftp")
    assert child_command()[0].endswith("sftp-server")
