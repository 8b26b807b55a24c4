"""Docker workspace figures, on a real engine (host networking, everything on 127.0.0.1):

1. "d" pressed -> usable ssh line, with the image already built (the console's own deploy
   steps: checks, key registration, credential, folder, `docker compose up --wait`);
2. ssh connect -> the seat visible in the admin API;
3. ssh client killed (kill -9) -> the seat released by the gate.

Each printed next to a baseline measured in the same run: starting a bare container
(`docker run --rm --network host BASE true`) for 1, an ssh login that runs `true` for 2 and 3,
and the heartbeat interval for 3. Run as root on a machine with docker.io (dockerd is started
if needed) and debootstrap (the base image is made once):

    .venv/bin/python benchmarks/bench_workspace.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

from tests.conftest import free_port  # noqa: E402
from tests.workspace.conftest import HEARTBEAT_S, ApiServer  # noqa: E402
from tests.workspace.engine import ensure_base_image, start_dockerd, stop_dockerd  # noqa: E402
from tests.workspace.world import make_world, ssh, ssh_background  # noqa: E402
from tui.api import ApiClient, Tokens  # noqa: E402
from tui.workspace.deploy import Deployer, Plan  # noqa: E402


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _line(name: str, value: float, baseline_name: str, baseline: float) -> None:
    print(f"{name:<44} {value * 1000:9.0f} ms   {value / baseline:6.1f}x {baseline_name} ({baseline * 1000:.0f} ms)")


async def _deploy(world, plan: Plan) -> tuple[float, Deployer, list]:
    client = ApiClient(world.api_url)
    client.tokens = Tokens(world.member["access_token"], "unused", time.time() + 3600, world.member["session_id"])
    try:
        started = time.perf_counter()
        deployer = Deployer(client, plan)
        preflight = deployer.preflight()
        assert preflight.ok, [c.failure for c in preflight.checks if not c.ok]
        await deployer.register_key()
        await deployer.write_folder()
        result = await deployer.up(preflight.compose, lambda e: None)
        assert result.ok, result.log[-10:]
        deployer.ssh_line()
        return time.perf_counter() - started, deployer, preflight.compose
    finally:
        await client.aclose()


async def _remove(world, deployer, compose) -> None:
    client = ApiClient(world.api_url)
    client.tokens = Tokens(world.member["access_token"], "unused", time.time() + 3600, world.member["session_id"])
    deployer.api = client
    try:
        await deployer.remove(compose, lambda e: None)
    finally:
        await client.aclose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-workspace-"))
    dockerd = start_dockerd(tmp)
    server = ApiServer(tmp / "api")
    deployer = compose = None
    try:
        base = ensure_base_image()
        world = make_world(server)
        plan = Plan(folder=tmp / "deployment", ssh_dir=tmp / "ssh", api_url=server.url, port=free_port(),
                    base_image=base, host_network=True, project=f"cwbench{os.getpid()}")
        # Build the image once (not measured), then measure a deploy with the image built.
        _, deployer, compose = asyncio.run(_deploy(world, plan))
        asyncio.run(_remove(world, deployer, compose))
        deploy_s, deployer, compose = asyncio.run(_deploy(world, plan))
        bare = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run(["docker", "run", "--rm", "--network", "host", base, "true"], check=True)
            bare.append(time.perf_counter() - t)
        key, port = deployer.key.private_path, deployer.port

        login, visible, released = [], [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            assert ssh(key, port, "true").returncode == 0
            login.append(time.perf_counter() - t)
            while world.live_container_seats():  # the previous session's seat is gone first
                time.sleep(0.05)
            t = time.perf_counter()
            proc = ssh_background(key, port, "sleep 120")
            while not world.live_container_seats():
                time.sleep(0.02)
            visible.append(time.perf_counter() - t)
            seat_id = world.live_container_seats()[0]["id"]
            t = time.perf_counter()
            proc.kill()
            proc.wait()
            row = world.wait_released(seat_id, within_s=60)
            assert row.released_reason == "released", row.released_reason
            released.append(time.perf_counter() - t)

        print(f"Docker workspace, {args.runs} runs (medians); heartbeat {HEARTBEAT_S} s in this run")
        _line("key press -> usable ssh line (image built)", deploy_s, "bare container start", _median(bare))
        _line("ssh connect -> seat visible (admin API)", _median(visible), "ssh login running `true`", _median(login))
        _line("client killed -> seat released", _median(released), "ssh login running `true`", _median(login))
        print(f"{'client killed -> seat released / heartbeat':<44} {_median(released) / HEARTBEAT_S:9.2f}")
    finally:
        if deployer is not None:
            asyncio.run(_remove(world, deployer, compose))
        server.stop()
        stop_dockerd(dockerd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
