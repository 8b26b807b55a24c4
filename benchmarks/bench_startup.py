"""Start-up time of `coditect-console` vs a bare Textual app, and `--help`.

Each run is a fresh process on a pseudo-terminal (80x24), timed from spawn to exit. Both
apps exit as soon as their first frame is on screen (Textual's Ready event):
`coditect-console` does so when CODITECT_EXIT_ON_READY=1 (console/app.py, a two-line hook),
the bare app (Header, Static, Footer) in its own on_ready. So the figures are "process
start -> first interactive frame", plus the same small exit cost for both.
The embedded server is not part of this: it starts in a worker after the first frame.

    .venv/bin/python benchmarks/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24", CODITECT_EXIT_ON_READY="1",
                   CODITECT_DATA_DIR=str(Path(tmp) / "data"), CODITECT_CONFIG_DIR=str(Path(tmp) / "config"))
        commands = {
            "coditect-console (first frame)": lambda: timed_on_pty(CONSOLE + ["--no-keyring"], env),
            "bare Textual app (first frame)": lambda: timed_on_pty([sys.executable, "-c", BARE_APP], env),
            "coditect-console --help": lambda: timed_plain(CONSOLE + ["--help"], env),
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
        print(f"  {name:<32} median {medians[name] * 1000:7.1f} ms   "
              f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})")
    ratio = medians["coditect-console (first frame)"] / medians["bare Textual app (first frame)"]
    print(f"  ratio coditect-console / bare app: {ratio:.2f}")


if __name__ == "__main__":
    main()
