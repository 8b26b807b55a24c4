"""`coditect-console server ...`: run the CODITECT Cloud API and manage it.

Every subcommand takes the same --database-url / --data-dir, so they all act on the
database the server uses. Heavy imports happen only once a command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys


def _common(parser: argparse.ArgumentParser, *, sub: bool = True) -> None:
    # On subcommands the defaults are SUPPRESSed so that an option given before the
    # subcommand name is not overwritten by the subcommand's default.
    default = argparse.SUPPRESS if sub else None
    parser.add_argument(
        "--database-url", metavar="URL", default=default,
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB (env CODITECT_DATABASE_URL; "
        "default: SQLite embedded.db in the data dir)",
    )
    parser.add_argument("--data-dir", metavar="DIR", default=default,
                        help="keys, outbox and default database (env CODITECT_DATA_DIR)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coditect-console server",
        description="Run the CODITECT Cloud API with uvicorn, or manage its database.",
    )
    _common(parser, sub=False)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    mail = parser.add_mutually_exclusive_group()
    mail.add_argument("--smtp-url", metavar="URL", help="send mail through smtp://host:port")
    mail.add_argument("--outbox", metavar="DIR", help="write mail as .eml files here (default: DATA_DIR/outbox)")
    parser.add_argument("--public-url", metavar="URL",
                        help="base URL used in e-mailed links (default: http://HOST:PORT this server listens on)")
    parser.add_argument("--max-body", type=_positive, metavar="BYTES", default=None,
                        help="largest request body accepted; larger ones get 413 (default 65536)")
    parser.add_argument("--db-connections", type=_positive, metavar="N", default=None,
                        help="database connections for all workers together, shared out between them "
                        "(default: 80 on PostgreSQL, under its default max_connections of 100)")
    parser.add_argument(
        "--forwarded-allow-ips", metavar="IPS",
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto "
        "are trusted (env CODITECT_FORWARDED_ALLOW_IPS; default: none, the connecting address is the client)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("create-user", help="create a staff account (support) or a tenant user")
    _common(p)
    p.add_argument("--email", required=True)
    p.add_argument("--password-stdin", action="store_true", required=True,
                   help="read the password from standard input (never from the command line)")
    p.add_argument("--role", default="support", choices=["support", "owner", "admin", "member"])
    p.add_argument("--full-name", default="")
    p.add_argument("--tenant", help="tenant id, for owner/admin/member accounts")

    p = sub.add_parser("create-license", help="print a new, unbound license key")
    _common(p)
    p.add_argument("--tier", required=True, choices=["free", "pro", "team", "enterprise"])
    p.add_argument("--seats", type=int, help="seats (default: the tier's)")
    p.add_argument("--daily-limit", type=int, help="commands per user per UTC day (default: the tier's)")
    p.add_argument("--expires", metavar="YYYY-MM-DD", help="expiry date (UTC)")

    p = sub.add_parser("rotate-signing-key", help="retire the token/lease signing key and make a new one "
                       "(consoles move to it through a statement signed by the old key); restart the server after")
    _common(p)

    p = sub.add_parser("seed-demo", help="fill an empty database with realistic demo data")
    _common(p)
    p.add_argument("--tenants", type=int, default=50)
    p.add_argument("--users-per-tenant", type=int, default=40)
    p.add_argument("--sessions", type=int, default=100_000)
    p.add_argument("--force", action="store_true", help="seed even if the database is not empty")

    p = sub.add_parser("publish-release", help="publish a release of the coditect command (served by the API)")
    _common(p)
    p.add_argument("file", metavar="FILE", help="the release file, e.g. coditect.pyz from build-release")
    p.add_argument("--platform", required=True, choices=["macos", "linux"])
    p.add_argument("--arch", required=True, choices=["arm64", "x86_64"])
    p.add_argument("--version", help="version like 1.2.3 (default: the one inside a build-release zipapp)")
    p.add_argument("--name", help="file name users download (default: coditect)")

    p = sub.add_parser("build-release", help="build the coditect command as one file (a python3 zipapp)")
    p.add_argument("out", metavar="OUT", help="file to write (or a folder: OUT/coditect.pyz)")
    return parser


def settings_from_args(args):
    from server.config import Settings

    from pathlib import Path

    return Settings.from_env(
        data_dir=Path(args.data_dir) if args.data_dir else None,
        database_url=args.database_url,
        smtp_url=getattr(args, "smtp_url", None),
        outbox_dir=Path(args.outbox) if getattr(args, "outbox", None) else None,
        public_url=getattr(args, "public_url", None),
        forwarded_allow_ips=getattr(args, "forwarded_allow_ips", None),
        max_body=getattr(args, "max_body", None),
        db_connections=getattr(args, "db_connections", None),
        workers=getattr(args, "workers", None),
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"coditect-console server: {exc}", file=sys.stderr)
        return 2
    from server.preflight import database_problem

    problem = asyncio.run(database_problem(settings.database_url))
    if problem:
        print(f"coditect-console server: {problem}", file=sys.stderr)
        return 2
    if args.command is None:
        return _serve(args, settings)
    if args.command == "create-user":
        from server.commands.users import create_user

        return asyncio.run(create_user(settings, args))
    if args.command == "create-license":
        from server.commands.licenses import create_license

        return asyncio.run(create_license(settings, args))
    if args.command == "rotate-signing-key":
        from server.keys import rotate_signing_key

        new = rotate_signing_key(settings.keys_dir)
        print(f"New signing key {new.kid}; the old one is kept to vouch for it. Restart the server.")
        return 0
    if args.command == "build-release":
        from server.commands.releases import build_release

        return build_release(args)
    if args.command == "publish-release":
        from server.commands.releases import publish_release

        return asyncio.run(publish_release(settings, args))
    if args.command == "seed-demo":
        from server.commands.seed import seed_demo

        return asyncio.run(seed_demo(settings, args))
    return 2


def serving_url(host: str, port: int) -> str:
    """The URL of this server as others reach it, for e-mailed links without --public-url."""
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.getfqdn()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


SQLITE_ONE_WORKER = ("coditect-console server: SQLite serves one worker process only (--workers 1); "
                     "for more workers use PostgreSQL (--database-url postgresql://...)")


def _serve(args, settings) -> int:
    # Several processes on one SQLite file wait on its single write lock by polling
    # (p99 above a second under load); one process queues its writers fairly instead.
    if settings.is_sqlite and args.workers > 1:
        print(SQLITE_ONE_WORKER, file=sys.stderr)
        return 2
    import uvicorn

    # Workers are separate processes: hand them the settings through the environment.
    os.environ["CODITECT_DATA_DIR"] = str(settings.data_dir)
    os.environ["CODITECT_DATABASE_URL"] = settings.database_url
    if settings.smtp_url:
        os.environ["CODITECT_SMTP_URL"] = settings.smtp_url
    elif settings.outbox_dir:
        os.environ["CODITECT_OUTBOX"] = str(settings.outbox_dir)
    os.environ["CODITECT_PUBLIC_URL"] = args.public_url or serving_url(args.host, args.port)
    os.environ["CODITECT_WORKERS"] = str(args.workers)
    os.environ["CODITECT_MAX_BODY"] = str(settings.max_body)
    if settings.db_connections:
        os.environ["CODITECT_DB_CONNECTIONS"] = str(settings.db_connections)
    print(f"CODITECT Cloud API on http://{args.host}:{args.port} "
          f"(database: {settings.database_url.split('://', 1)[0]}, workers: {args.workers})", flush=True)
    # The client address feeds the per-address limits and the audit trail: forwarded
    # headers are believed only from the proxies named here (uvicorn would trust loopback).
    proxies = settings.forwarded_allow_ips
    uvicorn.run(
        "server.app:create_app_from_env", factory=True, host=args.host, port=args.port,
        workers=args.workers, log_level="warning", access_log=False,
        proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
    )
    return 0
