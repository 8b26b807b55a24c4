"""`coditect-console admin ...` / `support ...`: the admin console for scripts.

Each command signs in with the saved sign-in of the app (tui.credentials: the refresh
token is rotated by the sign-in, and the new one saved back at once), makes its calls
through tui.admin_client and prints JSON lines (`--json`, one object per row, as the API
gives it) or a plain aligned table. Any refusal is one line on stderr and exit status 1.
No Textual, no FastAPI here: the embedded server (tui.backend) is imported only when no
--api-url is given.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import unicodedata
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, TextIO

from tui import backend
from tui.admin_client import AdminClient, SupportClient
from tui.api import ApiClient, ApiError, Tokens
from tui.config import AppConfig, default_data_dir
from tui.credentials import CredentialStore, sign_in_scope

EXIT_OK, EXIT_REFUSED = 0, 1
MAX_CELL = 40
PAGE = 200  # rows per request
# Terminal control characters (C0, DEL, C1) from the server are never written raw.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SIGNED_OUT = frozenset({"session_revoked", "refresh_reused", "refresh_invalid", "refresh_expired",
                         "token_expired", "token_invalid", "unauthorized", "account_disabled"})


class CommandFailed(Exception):
    """A one-line reason to stop (exit status 1)."""


@dataclass
class Context:
    api: ApiClient
    admin: AdminClient
    support: SupportClient
    out: TextIO
    as_json: bool


def run_command(args, config: AppConfig | None = None, *, out: TextIO | None = None,
                err: TextIO | None = None) -> int:
    """Run the parsed `admin ...` / `support ...` command -> exit status."""
    config = config or AppConfig.from_args(args)
    out, err = out or sys.stdout, err or sys.stderr
    handler = COMMANDS[(args.area, args.target, args.verb)]
    try:
        asyncio.run(_run(handler, args, config, out))
    except (ApiError, CommandFailed) as failure:
        err.write(f"coditect-console: {_one_line(str(failure))}\n")
        return EXIT_REFUSED
    except KeyboardInterrupt:
        err.write("coditect-console: interrupted\n")
        return 130
    except BrokenPipeError:  # `... | head`: the reader is gone, which is fine
        return EXIT_OK
    except Exception as error:  # never a traceback: its text may quote a token
        err.write(f"coditect-console: something unexpected went wrong ({type(error).__name__}).\n")
        return EXIT_REFUSED
    return EXIT_OK


async def _run(handler, args, config: AppConfig, out: TextIO) -> None:
    async with signed_in(config) as api:
        context = Context(api=api, admin=AdminClient(api), support=SupportClient(api), out=out,
                          as_json=bool(getattr(args, "json", False)))
        try:
            await handler(context, args)
        except ApiError as error:
            raise CommandFailed(_refusal(error, args)) from None


# -- signing in with the app's saved sign-in ----------------------------------------------


def sign_in_hint(config: AppConfig) -> str:
    """How to sign in to the same server and data dir with the app."""
    if config.api_url:
        options = f" --api-url {config.api_url}"
    elif config.data_dir != default_data_dir():
        options = f" --data-dir {config.data_dir}"
    else:
        options = ""
    return f"run `coditect-console{options}` and sign in"


@asynccontextmanager
async def signed_in(config: AppConfig):
    """An ApiClient signed in with the saved sign-in (rotated and saved back), or
    CommandFailed saying how to sign in."""
    credentials = CredentialStore(config)
    scope = sign_in_scope(config)
    account = await asyncio.to_thread(credentials.last_account, scope)
    token = account and await asyncio.to_thread(credentials.get, scope, account)
    if not token:
        raise CommandFailed(f"Not signed in to {config.server_label}: {sign_in_hint(config)} first.")
    transport = await backend.make_transport(config)
    server_name = "The embedded server" if config.embedded else f"The server {config.server_label}"
    api = ApiClient(config.base_url, transport, server_name=server_name)

    async def save(tokens: Tokens | None) -> None:
        if tokens is not None:
            await asyncio.to_thread(credentials.set, scope, account, tokens.refresh_token)

    api.on_tokens = save
    try:
        try:
            await api.resume(token)
        except ApiError as error:
            if error.retryable:
                raise
            await asyncio.to_thread(credentials.delete, scope, account)
            raise CommandFailed(f"{error.message.rstrip('.')}: {sign_in_hint(config)} again.") from None
        yield api
    finally:
        await api.aclose()
        await backend.close_transport(transport)


def _refusal(error: ApiError, args) -> str:
    if error.code == "forbidden":
        needed = "support staff" if args.area == "support" else "an owner or admin of the organization"
        return f"Your role does not allow this: `{args.area}` commands are for {needed}."
    if error.code == "not_found" and getattr(args, "id", None) and args.area == "support":
        return f"No customer organization {args.id}."
    if error.code == "not_found" and getattr(args, "id", None):
        noun = {"sessions": "session", "seats": "seat"}.get(args.target, "item")
        return f"No {noun} {args.id} in your organization."
    if error.code in _SIGNED_OUT:
        return f"{error.message.rstrip('.')}: run `coditect-console` and sign in again."
    return error.message


# -- output -------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ",".join(_plain(v) for v in value) or "-"
    return _CONTROL.sub("?", str(value))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def _cut(text: str, limit: int = MAX_CELL) -> str:
    if _width(text) <= limit:
        return text
    while _width(text) > limit - 1:
        text = text[:-1]
    return text + "…"


def print_table(out: TextIO, headers: list[str], rows: Iterable[list[Any]]) -> None:
    """A plain table: one header line, columns two spaces apart, long cells cut with …"""
    cells = [[_cut(_plain(v)) for v in row] for row in rows]
    widths = [max([_width(h)] + [_width(row[i]) for row in cells]) for i, h in enumerate(headers)]
    for line in [headers] + cells:
        padded = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(line)]
        out.write("  ".join(padded).rstrip() + "\n")


def print_json_line(out: TextIO, model) -> None:
    text = json.dumps(model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    out.write(re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def emit(context: Context, items: list, headers: list[str], row: Callable[[Any], list[Any]]) -> None:
    if context.as_json:
        for item in items:
            print_json_line(context.out, item)
    else:
        print_table(context.out, headers, [row(item) for item in items])
    context.out.flush()


async def emit_pages(context: Context, fetch, limit: int | None, headers: list[str],
                     row: Callable[[Any], list[Any]]) -> None:
    """Every page of a paged list (or its first `limit` rows). JSON lines are written as
    each page arrives; a table needs every row first, to align its columns."""
    items, cursor = [], None
    while True:
        page = await fetch(cursor)
        batch = page.items[: None if limit is None else max(0, limit - len(items))]
        if context.as_json:
            emit(context, batch, headers, row)
        items += batch
        if page.last or (limit is not None and len(items) >= limit):
            break
        cursor = page.next_cursor
    if not context.as_json:
        emit(context, items, headers, row)


def page_size(limit: int | None) -> int:
    return max(1, min(PAGE, limit or PAGE))


# -- the commands ---------------------------------------------------------------------------


async def sessions_list(context: Context, args) -> None:
    user_id = (await context.admin.find_user(args.user)).id if args.user else None

    async def fetch(cursor):
        return await context.admin.list_sessions(q=args.q, user_id=user_id, active=True if args.active else None,
                                                 cursor=cursor, limit=page_size(args.limit))

    await emit_pages(context, fetch, args.limit,
                     ["ID", "USER", "DEVICE", "ADDRESS", "STARTED", "LAST SEEN", "2FA", "STATE"],
                     lambda s: [s.id, s.user_email, s.device_name, s.client_addr, s.created_at, s.last_seen_at,
                                "yes" if {"otp", "recovery"} & set(s.amr) else "no",
                                ("live" if s.active else f"ended ({s.revoked_reason or 'expired'})")
                                + (" (this one)" if s.current else "")])


async def sessions_revoke(context: Context, args) -> None:
    own = context.api.tokens is not None and context.api.tokens.session_id == args.id
    await context.admin.revoke_session(args.id)
    context.out.write(f"Revoked session {args.id}: its tokens are refused from now on, its seats are free.\n")
    if own:
        context.out.write("It was this sign-in's own session: run `coditect-console` to sign in again.\n")


async def seats_list(context: Context, args) -> None:
    seats = await context.admin.list_seats()
    emit(context, seats, ["ID", "USER", "DEVICE", "KIND", "TIER", "STARTED", "LAST HEARTBEAT", "STATE"],
         lambda s: [s.id, s.holder_email, s.device_name, s.kind, s.tier, s.started_at, s.last_heartbeat_at,
                    "live" if s.live else "stale"])


async def seats_release(context: Context, args) -> None:
    await context.admin.release_seat(args.id)
    context.out.write(f"Released seat {args.id}: someone else can take it now.\n")


async def users_list(context: Context, args) -> None:
    await emit_pages(context, lambda cursor: context.admin.list_users(cursor=cursor), None,
                     ["EMAIL", "NAME", "ROLE", "2FA", "VERIFIED", "STATE", "LAST SIGN-IN", "DAILY LIMIT"],
                     lambda u: [u.email, u.full_name, u.role, u.mfa_enrolled, u.email_verified,
                                "disabled" if u.disabled else "active", u.last_login_at,
                                "default" if u.daily_limit is None else u.daily_limit])


def parse_limit(text: str) -> int | None:
    """"N" -> N commands a day; "default"/"none" -> the organization's default."""
    value = text.strip().lower()
    if value in ("default", "none"):
        return None
    if not value.isdigit() or int(value) > 10_000_000:
        raise CommandFailed(f"The daily limit must be a whole number from 0 to 10000000, or 'default' (got {_one_line(text)[:20]!r}).")
    return int(value)


async def quotas_set(context: Context, args) -> None:
    limit = parse_limit(args.limit)
    user = await context.admin.find_user(args.email)
    await context.admin.set_user_quota(user.id, limit)
    what = "the organization's default" if limit is None else f"{limit} commands a day"
    context.out.write(f"Daily limit of {_plain(user.email)} set to {what}, effective now.\n")


async def tenants_search(context: Context, args) -> None:
    await emit_pages(context, lambda cursor: context.support.search_tenants(args.text, cursor=cursor,
                                                                           limit=page_size(args.limit)),
                     args.limit, ["ID", "NAME", "TIER", "OWNERS", "CREATED"],
                     lambda t: [t.id, t.name, t.tier, t.owner_emails, t.created_at])


async def tenants_show(context: Context, args) -> None:
    """One customer (the server records this opening in their audit trail)."""
    t = await context.support.open_tenant(args.id)
    emit(context, [t], ["ID", "NAME", "TIER", "SEATS", "SESSIONS", "USERS", "COMMANDS TODAY", "CREATED"],
         lambda t: [t.id, t.name, t.tier, f"{t.seats_live}/{t.seats_total}",
                    f"{t.sessions_active}/{t.sessions_total}", t.user_count, t.commands_today, t.created_at])


COMMANDS: dict[tuple[str, str, str], Callable] = {
    ("admin", "sessions", "list"): sessions_list,
    ("admin", "sessions", "revoke"): sessions_revoke,
    ("admin", "seats", "list"): seats_list,
    ("admin", "seats", "release"): seats_release,
    ("admin", "users", "list"): users_list,
    ("admin", "quotas", "set"): quotas_set,
    ("support", "tenants", "search"): tenants_search,
    ("support", "tenants", "show"): tenants_show,
}
