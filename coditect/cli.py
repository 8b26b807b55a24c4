"""`coditect status` and `coditect run -- CMD ARGS...`.

Exit codes: `run` exits with the command's own code; when it refuses to start the command:
69 the server refused (other reason), 75 today's quota is spent, 76 the seat is gone or none
is free, 77 not signed in (or the sign-in was revoked), 78 the lease is expired or not
genuine (or the clock was turned back), 127 the command was not found, 126 it cannot be run;
2 for a usage error. `status` exits 0 when a command could run now, else the same codes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from coditect import __version__

EXIT_USAGE = 2
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coditect", description="Run commands under your CODITECT license and daily quota.")
    parser.add_argument("--version", action="version", version=f"coditect {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("status", help="account, seat, lease and today's commands")
    run = sub.add_parser("run", help="check the license, count one command, run it: coditect run -- CMD ARGS...")
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD ARGS")
    return parser


def _when(value) -> str:
    if value is None:
        return "?"
    if isinstance(value, str):
        value = value.replace("T", " ")[:16]
        return f"{value} UTC"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def status_lines(report) -> list[str]:
    lines = [f"Account:   {report.email or '?'} ({report.source})"]
    lines.append(f"Seat:      {report.seat_id or 'none yet'}")
    if report.online:
        lines.append(f"Lease:     online, valid until {_when(report.lease_until)}")
        lines.append(f"Commands:  {report.used} of {report.limit} today (resets {_when(report.resets_at)})")
    else:
        lines.append(f"Lease:     offline until {_when(report.lease_until)} (the server cannot be reached)")
        lines.append(f"Commands:  {report.pending} run offline, counted when back online")
    return lines


def _say(line: str) -> None:
    print(f"coditect: {line}", file=sys.stderr)


def _run_child(argv: list[str]) -> int:
    try:
        completed = subprocess.run(argv)
    except FileNotFoundError:
        _say(f"command not found: {argv[0]}")
        return EXIT_NOT_FOUND
    except PermissionError:
        _say(f"cannot run {argv[0]}: permission denied")
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        return 130
    code = completed.returncode
    return 128 - code if code < 0 else code  # killed by signal N -> 128+N, as shells say


def main(argv: list[str] | None = None, *, env: dict | None = None, home: Path | None = None,
         clock=time.time) -> int:
    args = _parser().parse_args(argv)
    from coditect.license import Refused, check_command  # after --help/--version: those need no network code

    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME") or Path.home()) if home is None else home
    if args.command == "status":
        try:
            report = check_command(env, home, clock, count=False)
        except Refused as refused:
            _say(refused.message)
            return refused.exit_code
        print("\n".join(status_lines(report)))
        return 0
    if args.command == "run":
        child = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
        if not child:
            _say("nothing to run: coditect run -- CMD ARGS...")
            return EXIT_USAGE
        try:
            check_command(env, home, clock, count=True)
        except Refused as refused:
            _say(refused.message)
            return refused.exit_code
        sys.stdout.flush()
        return _run_child(child)
    _parser().print_help()
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
