"""Time to the first *usable* screen of `coditect-console` vs a bare Textual app, and `--help`.

Each run is a fresh process on a pseudo-terminal (80x24), timed from spawn to exit. Both
apps exit as soon as a screen the user can act on is drawn: the bare app (Header, Static,
Footer) in its own on_ready; `coditect-console` when CODITECT_EXIT_ON_READY=1 (console/app.py)
once its first usable screen is up: Welcome or a returning user's Home (drawn from local
state and the cached copy), never the "starting" screen (if that came first, it waits for
the screen after it). Two cases:
- a new user: empty data and config dirs -> Welcome;
- a returning user: a data dir prepared once here (a whole onboarding on the embedded
  server: seat, install choice, the saved sign-in in credentials.json, Home's cached copy)
  -> Home.
The embedded server starts behind the first screen, so it is not part of these figures.
Targets (issue 11): new <= 1.3x, returning <= 1.5x the bare app.

    .venv/bin/python benchmarks/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = [sys.executable, "-m", "console.cli"]
NEW = "new user: Welcome"
RETURNING = "returning user: Home (cached)"
BARE = "bare Textual app"
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

    def on_ready(self):
        self.exit()

Bare().run()
"""


def timed_on_pty(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to exit, with a terminal attached (the app draws into it)."""
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    while proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                os.read(master, 65536)  # drain, or the app blocks writing its frame
            except OSError:
                break
    proc.wait()
    elapsed = time.perf_counter() - start
    os.close(master)
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited with {proc.returncode}")
    return elapsed


def timed_plain(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


async def _prepare_returning_user(data_dir: Path, config_dir: Path) -> None:
    """A whole onboarding through the console core on the embedded server (as a user would do
    it in the app), leaving what a returning user has on disk."""
    import pyotp

    sys.path.insert(0, str(ROOT))  # tests.server.flows reads the verification mail
    from tests.server.flows import read_verification_mail
    from tui import home_view
    from tui.config import AppConfig
    from tui.session import AccountSession

    config = AppConfig(data_dir=data_dir, config_dir=config_dir, no_keyring=True)
    session = AccountSession(config)
    await session.start()
    try:
        email, password = "bench@example.com", "tangerine-volcano-harbour-42"
        await session.sign_in.register(email, password, "Bench User", "Bench Org")
        code, _ = read_verification_mail(config.outbox_dir, to=email)
        await session.sign_in.verify(code)
        secret, _ = await session.mfa.enroll()
        await session.mfa.confirm_enroll(pyotp.TOTP(secret).now())
        session.mfa.acknowledge_recovery_codes()
        await session.seat.acquire()
        session.choose_install("later")
        await home_view.load(session)
    finally:
        await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24", CODITECT_EXIT_ON_READY="1")
        new_user = dict(base, CODITECT_DATA_DIR=str(Path(tmp) / "new" / "data"),
                        CODITECT_CONFIG_DIR=str(Path(tmp) / "new" / "config"))
        back_data, back_config = Path(tmp) / "back" / "data", Path(tmp) / "back" / "config"
        asyncio.run(_prepare_returning_user(back_data, back_config))
        returning = dict(base, CODITECT_DATA_DIR=str(back_data), CODITECT_CONFIG_DIR=str(back_config))
        commands = {
            NEW: lambda: timed_on_pty(CONSOLE + ["--no-keyring"], new_user),
            RETURNING: lambda: timed_on_pty(CONSOLE + ["--no-keyring"], returning),
            BARE: lambda: timed_on_pty([sys.executable, "-c", BARE_APP], new_user),
            "coditect-console --help": lambda: timed_plain(CONSOLE + ["--help"], new_user),
        }
        for run in commands.values():  # warm the file cache once
            run()
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so drift hits every command alike
            for name, run in commands.items():
                samples[name].append(run())

    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{args.runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for name, values in samples.items():
        print(f"  {name:<40} median {medians[name] * 1000:7.1f} ms   "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})")
    for name, target in ((NEW, 1.3), (RETURNING, 1.5)):
        ratio = medians[name] / medians[BARE]
        print(f"  ratio {name} / bare app: {ratio:.2f}  (target <= {target})")


if __name__ == "__main__":
    main()
