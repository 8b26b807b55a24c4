"""The Docker workspace screen: reached from home (key i, Docker workspace), each known
failure shown in words (compose missing, the daemon down, the port taken: with the free
port offered), and a real deploy on the engine through the screen, ending with the ssh
line, a working ssh login, ctrl+y, and "Remove workspace"."""

from __future__ import annotations

import os
import shutil
import subprocess
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.screens.driving import press, screen_name, settle
from tests.screens.test_snapshots import reach
from tests.server.flows import register_and_verify
from tests.workspace.conftest import (  # noqa: F401  (fixtures)
    _venv_tools_on_path, api_server, base_image, docker_engine)
from tests.workspace.world import ssh
from tui.workspace.failures import daemon_down, no_compose

REAL_DOCKER = shutil.which("docker")


def fake_docker(program: Path, script: str) -> None:
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(0o755)


async def open_deploy_screen(pilot, clock) -> None:
    await reach(pilot, clock, "home")
    await press(pilot, "i")
    await press(pilot, "enter")  # Docker workspace (macOS is not offered on Linux)
    await press(pilot, "ctrl+n")
    assert screen_name(pilot.app) == "DeployWorkspaceScreen"


async def wait_idle(pilot, timeout: float = 600) -> None:
    """Until the screen's workers are done (a real build and start take a while)."""
    deadline = time.monotonic() + timeout
    while any(w.is_running for w in pilot.app.screen.workers) and time.monotonic() < deadline:
        await pilot.pause(0.2)
    await settle(pilot)


def checks_text(app) -> str:
    return str(app.screen.query_one("#checks").render())


async def test_known_failures_are_shown_in_words(config, make_app, clock, docker_daemon, monkeypatch):
    app = make_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_deploy_screen(pilot, clock)
        # Compose missing: the docker CLI says so, and no docker-compose is on PATH.
        fake_docker(docker_daemon, 'if [ "$1" = compose ]; then echo "docker: unknown command: docker compose" >&2; '
                                   "exit 1; fi\nexit 0\n")
        monkeypatch.setenv("PATH", str(docker_daemon.parent))
        await press(pilot, "d")
        await wait_idle(pilot)
        failure = no_compose()
        assert app.screen.status.message == f"{failure.sentence} {failure.fix}"
        assert "✗ Compose" in checks_text(app)

        # The daemon down: the real docker CLI, pointed at a socket nobody serves.
        if REAL_DOCKER is None:
            pytest.skip("the docker CLI is not installed")
        fake_docker(docker_daemon, f'if [ "$1" = compose ]; then echo "Docker Compose version v5.6.1"; exit 0; fi\n'
                                   f'exec {REAL_DOCKER} "$@"\n')
        monkeypatch.setenv("DOCKER_HOST", f"unix://{config.data_dir}/no-docker.sock")
        await press(pilot, "d")
        await wait_idle(pilot)
        failure = daemon_down()
        assert app.screen.status.message == f"{failure.sentence} {failure.fix}"
        assert "✗ Engine" in checks_text(app)


@pytest.mark.engine
async def test_a_taken_port_is_named_and_the_next_free_one_offered(config, make_app, clock, docker_daemon,
                                                                 monkeypatch, docker_engine):  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("CODITECT_WORKSPACE_PORT", str(port))
        monkeypatch.setenv("PATH", os.environ["PATH"].replace(str(docker_daemon.parent) + os.pathsep, ""))
        app = make_app(config)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_deploy_screen(pilot, clock)
            await wait_idle(pilot)
            message = app.screen.status.message
            assert message.startswith(f"Port {port} on 127.0.0.1 is already in use by another program. Use port ")
            assert "✗ Port" in checks_text(app)
            await press(pilot, "p")
            await wait_idle(pilot)
            facts = dict(app.screen.query_one("#facts").rows)
            assert facts["Port"] != f"127.0.0.1:{port}"
            # The next check that fails: the built-in server cannot be reached by a container.
            assert app.screen.status.message.startswith("The workspace cannot reach this console's built-in server.")
            assert app.screen.check_action("start_api", ()) is True
            # s: the console serves its own data folder on 127.0.0.1 for the container.
            await press(pilot, "s")
            await wait_idle(pilot, timeout=60)
            process = app.screen.flow.api_process
            try:
                assert app.screen.status.message == "Ready: press d to deploy."
                assert "✓ API" in checks_text(app)
                api = dict(app.screen.query_one("#facts").rows)["API"]
                assert httpx.get(api + "/healthz").status_code == 200
            finally:
                process.terminate()
                process.wait(10)


@pytest.mark.engine
async def test_deploy_through_the_screen_on_the_engine(tmp_path, make_app, clock, docker_daemon, monkeypatch,
                                                       api_server, base_image):  # noqa: F811
    from tests.screens.conftest import app_config

    monkeypatch.setenv("PATH", os.environ["PATH"].replace(str(docker_daemon.parent) + os.pathsep, ""))
    port = _free_port()
    monkeypatch.setenv("CODITECT_WORKSPACE_PORT", str(port))
    monkeypatch.setenv("CODITECT_WORKSPACE_BASE_IMAGE", base_image)
    monkeypatch.setenv("CODITECT_WORKSPACE_PROJECT", f"cwscreen{os.getpid()}")
    async with httpx.AsyncClient(base_url=api_server.url) as http:
        account = await register_and_verify(http, api_server.data_dir / "outbox", email=f"screen.{port}@example.com",
                                            sign_in=False)
    app = make_app(app_config(tmp_path / "data", tmp_path / "config", clock, api_url=api_server.url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.session.sign_in.login(account["email"], account["password"])
        from screens.deploy_workspace import DeployWorkspaceScreen
        await app.push_screen(DeployWorkspaceScreen())
        await wait_idle(pilot)
        assert app.screen.status.message == "Ready: press d to deploy."
        await press(pilot, "d")
        await wait_idle(pilot)
        assert app.screen.status.message.startswith("Your workspace is running."), app.screen.status.message
        line = app.screen.ssh_line
        key = Path(os.environ["HOME"]) / ".ssh" / "coditect_workspace_ed25519"
        assert line == f"ssh -i {key} -p {port} coditect@127.0.0.1"
        assert str(app.screen.query_one("#ssh-line").render()) == f"$ {line}"
        await press(pilot, "ctrl+y")
        assert app.clipboard == line
        r = ssh(key, port, "echo $CODITECT_SESSION")
        assert r.returncode == 0 and r.stdout.strip().startswith("/run/coditect/sessions/"), r.stderr

        await press(pilot, "x")
        assert screen_name(app) == "ConfirmScreen"
        await press(pilot, "y")
        await wait_idle(pilot)
        assert app.screen.status.message == "The workspace is removed and its credential revoked."
        token = app.session.api.tokens.access_token
        async with httpx.AsyncClient(base_url=api_server.url) as http:
            listed = (await http.get("/api/v1/workspace/credentials",
                                     headers={"Authorization": f"Bearer {token}"})).json()
        assert len(listed) == 1 and listed[0]["revoked_at"] is not None
        assert subprocess.run(["docker", "inspect", f"cwscreen{os.getpid()}-workspace-1"],
                              capture_output=True).returncode != 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
