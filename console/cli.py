"""`coditect-console` command line.

Parsing and --help/--version must stay cheap: no Textual, FastAPI or httpx import
here. `server ...` is handed to the server's CLI through tui/backend.py; everything else opens the app.
"""

from __future__ import annotations

import argparse
import sys

from tui import __version__

DESCRIPTION = """\
CODITECT Console: create your account, secure it with an authenticator app,
activate your license and install CODITECT; administer your organization.

With no options it runs on the embedded CODITECT Cloud API (SQLite in your data
directory), so nothing else needs to be running."""

EPILOG = """\
commands:
  coditect-console                 open the app (embedded server unless --api-url)
  coditect-console server ...      run the CODITECT Cloud API (see: server --help)

environment:
  CODITECT_API_URL      same as --api-url
  CODITECT_DATA_DIR     same as --data-dir
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coditect-console",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"coditect-console {__version__}")
    parser.add_argument("--api-url", metavar="URL", help="use this CODITECT Cloud API instead of the embedded one")
    parser.add_argument("--data-dir", metavar="DIR", help="where the embedded server and local state live")
    parser.add_argument(
        "--no-keyring", action="store_true",
        help="keep the sign-in in a 0600 file instead of the system keyring",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "server":
        from tui.backend import run_server_command

        return run_server_command(argv[1:])
    args = build_parser().parse_args(argv)
    from console.run import run_app

    return run_app(args)


if __name__ == "__main__":  # `python -m console.cli ...` (the live_server test fixture runs this)
    raise SystemExit(main())
