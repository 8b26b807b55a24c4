"""A real Docker engine for the workspace tests, and the base image they build on.

The engine: the running one if `docker info` answers; otherwise, as root with dockerd
installed, `dockerd --bridge=none --iptables=false` is started for the test session (and
stopped after). Every container the tests run uses host networking: all traffic stays on
127.0.0.1. The base image: `debootstrap --variant=minbase --include=openssh-server,python3
bookworm` + `docker import`, built once per machine and reused by its tag.

The suite runs on several pytest-xdist workers at once: starting the engine and building the
image each happen under a machine-wide file lock, and an engine a worker started is stopped
only when no other worker still uses it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

BASE_IMAGE = "coditect-test-base:bookworm"
DEBIAN_MIRROR = os.environ.get("CODITECT_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")


class EngineUnavailable(Exception):
    """Why no engine could be used (the skip/fail reason)."""


@contextmanager
def machine_lock(name: str, shared: bool = False):
    """A lock every test process on this machine sees (flock on a file in the temp dir)."""
    with open(Path(tempfile.gettempdir()) / f"coditect-test-{name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def start_dockerd(log_dir: Path) -> subprocess.Popen | None:
    """None when an engine already answers; else the dockerd we started."""
    with machine_lock("dockerd-start"):
        return _start_dockerd(log_dir)


def _start_dockerd(log_dir: Path) -> subprocess.Popen | None:
    if engine_answers():
        return None
    if shutil.which("docker") is None:
        raise EngineUnavailable("the docker CLI is not installed (apt-get install docker.io)")
    if shutil.which("dockerd") is None:
        raise EngineUnavailable("no Docker engine answers and dockerd is not installed (apt-get install docker.io)")
    if os.geteuid() != 0:
        raise EngineUnavailable("no Docker engine answers and starting dockerd needs root")
    log = open(log_dir / "dockerd.log", "wb")
    proc = subprocess.Popen(["dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineUnavailable(f"dockerd exited: {(log_dir / 'dockerd.log').read_text()[-500:]}")
        if engine_answers():
            return proc
        time.sleep(0.5)
    proc.terminate()
    raise EngineUnavailable("dockerd did not answer within 60 s")


def stop_dockerd(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def ensure_base_image(tag: str = BASE_IMAGE) -> str:
    """The debootstrapped base image (about 2 minutes the first time on a machine)."""
    with machine_lock("base-image"):
        return _ensure_base_image(tag)


def _ensure_base_image(tag: str) -> str:
    if image_exists(tag):
        return tag
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise EngineUnavailable(f"base image {tag} is missing and debootstrap (as root) is not available")
    with tempfile.TemporaryDirectory(prefix="coditect-rootfs-") as root:
        subprocess.run(["debootstrap", "--variant=minbase", "--include=openssh-server,python3", "bookworm", root,
                        DEBIAN_MIRROR], check=True, capture_output=True)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", "-", tag], stdin=tar.stdout, check=True, capture_output=True)
        tar.wait()
    return tag
