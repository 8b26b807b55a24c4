"""The installed command in a real terminal (tmux, 80x24): it starts, answers keys and
quits cleanly, with no traceback. Pilot tests drive CoditectApp directly; this covers
what they cannot: the console script, argument parsing, logging set-up, the stylesheet
found on disk, and a real pseudo-terminal."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None and not os.environ.get("CI"), reason="tmux is not installed"
)


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


@pytest.fixture
def terminal(tmp_path):
    session = f"coditect-test-{secrets.token_hex(4)}"
    log = tmp_path / "exit.txt"
    command = (f"{sys.executable} -m console.cli --data-dir {tmp_path / 'data'} --no-keyring; "
               f"echo EXIT=$? > {log}")
    env = {**os.environ, "CODITECT_CONFIG_DIR": str(tmp_path / "config"), "TERM": "xterm-256color"}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
                   check=True, env=env, cwd=os.getcwd())
    # Keep the pane (and what it last showed) after the app exits.
    subprocess.run(["tmux", "set-option", "-t", session, "remain-on-exit", "on"], check=True)
    yield session, log
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_the_command_starts_answers_keys_and_quits_cleanly(terminal):
    session, exit_file = terminal
    screen = _wait_for(session, "Welcome to CODITECT")
    assert "embedded server" in screen  # which server is in use is on screen
    subprocess.run(["tmux", "send-keys", "-t", session, "c"], check=True)
    _wait_for(session, "Create your CODITECT account")
    subprocess.run(["tmux", "send-keys", "-t", session, "-l", "not-an-email"], check=True)
    _wait_for(session, "Enter an email address like")
    subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
    deadline = time.monotonic() + 20
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exit_file.read_text().strip() == "EXIT=0"
    after = _screen(session)
    assert "Welcome" not in after and "Traceback" not in after  # the app left the screen clean
