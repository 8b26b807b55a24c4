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
  coditect-console admin           open the admin console (owners and admins)
  coditect-console admin sessions list [--user EMAIL] [--q TEXT] [--active] [--json]
  coditect-console admin sessions revoke ID
  coditect-console admin seats list [--json]
  coditect-console admin seats release ID
  coditect-console admin users list [--json]
  coditect-console admin quotas set EMAIL N|default
  coditect-console support         open the support console (support staff)
  coditect-console support tenants search TEXT [--json]
  coditect-console support tenants show ID [--json]   (recorded in that customer's audit trail)
  coditect-console server ...      run the CODITECT Cloud API (see: server --help)

  The admin and support commands use the app's saved sign-in (sign in with the app
  first); they print a table, or JSON lines with --json, and exit 1 on a refusal.

environment:
  CODITECT_API_URL      same as --api-url
  CODITECT_DATA_DIR     same as --data-dir
"""


def _global_options(parser: argparse.ArgumentParser, default=None) -> None:
    parser.add_argument("--api-url", metavar="URL", default=default,
                        help="use this CODITECT Cloud API instead of the embedded one")
    parser.add_argument("--data-dir", metavar="DIR", default=default,
                        help="where the embedded server and local state live")
    parser.add_argument(
        "--no-keyring", action="store_true", default=False if default is None else default,
        help="keep the sign-in in a 0600 file instead of the system keyring",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coditect-console",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"coditect-console {__version__}")
    _global_options(parser)
    # The same options are taken after the command too (`admin users list --api-url URL`);
    # SUPPRESS there so an option given before the command is not reset.
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, default=argparse.SUPPRESS)
    areas = parser.add_subparsers(dest="area", metavar="{admin,support}")
    _admin_commands(areas.add_parser("admin", parents=[common], help="the admin console, or one of its commands",
                                     description="With no command: open the admin console."), common)
    support = areas.add_parser("support", parents=[common], help="the support console, or one of its commands",
                               description="With no command: open the support console.")
    tenants = _targets(support).add_parser("tenants", parents=[common], help="customer organizations")
    tenant_verbs = _verbs(tenants)
    search = tenant_verbs.add_parser("search", parents=[common],
                                        help="search by name, owner email or license key")
    search.add_argument("text", help="part of a name, an owner's email or a license key")
    _list_options(search, limit=True)
    show = tenant_verbs.add_parser("show", parents=[common],
                                   help="one customer (recorded in that customer's audit trail)")
    show.add_argument("id", metavar="ID")
    _list_options(show)
    return parser


def _targets(parser):
    return parser.add_subparsers(dest="target", metavar="AREA")


def _verbs(parser):
    return parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)


def _list_options(parser, *, limit: bool = False) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    if limit:
        parser.add_argument("--limit", type=int, metavar="N", help="at most N rows (default: all)")


def _admin_commands(admin, common) -> None:
    targets = _targets(admin)
    sessions = _verbs(targets.add_parser("sessions", parents=[common], help="sign-in sessions"))
    listing = sessions.add_parser("list", parents=[common], help="sessions, newest first")
    listing.add_argument("--user", metavar="EMAIL", help="only this user's sessions")
    listing.add_argument("--q", metavar="TEXT", help="email or device name contains TEXT")
    listing.add_argument("--active", action="store_true", help="only live sessions")
    _list_options(listing, limit=True)
    revoke = sessions.add_parser("revoke", parents=[common],
                                 help="end a session now (its tokens are refused, its seats freed)")
    revoke.add_argument("id", metavar="ID")
    seats = _verbs(targets.add_parser("seats", parents=[common], help="license seats"))
    _list_options(seats.add_parser("list", parents=[common], help="seats held, with their holders"))
    seats.add_parser("release", parents=[common], help="force-release a seat").add_argument("id", metavar="ID")
    users = _verbs(targets.add_parser("users", parents=[common], help="the organization's users"))
    _list_options(users.add_parser("list", parents=[common], help="users by email"))
    quotas = _verbs(targets.add_parser("quotas", parents=[common], help="daily command quotas"))
    quota = quotas.add_parser("set", parents=[common], help="set a user's daily limit (effective at once)")
    quota.add_argument("email", metavar="EMAIL")
    quota.add_argument("limit", metavar="N", help="commands a day, or 'default' for the organization's default")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "server":
        from tui.backend import run_server_command

        return run_server_command(argv[1:])
    args = build_parser().parse_args(argv)
    if args.area and getattr(args, "target", None):
        from tui.admin_commands import run_command

        return run_command(args)
    from console.run import run_app

    return run_app(args, start=args.area)


if __name__ == "__main__":  # `python -m console.cli ...` (the live_server test fixture runs this)
    raise SystemExit(main())
