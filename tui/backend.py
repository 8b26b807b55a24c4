"""The one place in tui/ that imports the server: the embedded CODITECT Cloud API and the
`server` command.

Embedded mode runs the real server in-process over httpx.ASGITransport, with its
SQLite database, keys and outbox under the data dir. Importing FastAPI and creating
the tables takes a moment, so the app calls this from a worker after the first frame.
"""

from __future__ import annotations

import httpx

from tui.config import EMBEDDED_BASE_URL, AppConfig, ensure_private_dir

# The address the embedded server sees for its (only) client: loopback.
EMBEDDED_CLIENT = ("127.0.0.1", 0)


def run_server_command(argv: list[str]) -> int:
    """`coditect-console server ...`: the Cloud API's own command line."""
    from server.cli import main

    return main(argv)


def preload_server() -> None:
    """Import the server (FastAPI, SQLAlchemy): blocking, so the app calls it in a thread."""
    import server.app  # noqa: F401


async def make_transport(config: AppConfig) -> httpx.AsyncBaseTransport | None:
    """An in-process transport to a started embedded server, or None for a remote API."""
    if not config.embedded:
        return None
    from server.app import create_app
    from server.config import Settings

    ensure_private_dir(config.data_dir)
    # Nothing listens on a port: mail says to paste links into the console.
    overrides = {"embedded": True, "public_url": EMBEDDED_BASE_URL, **config.server_overrides}
    settings = Settings(data_dir=config.data_dir, **overrides)
    app = create_app(settings)
    await app.state.runtime.start()
    return httpx.ASGITransport(app=app, client=EMBEDDED_CLIENT)


def embedded_runtime(transport: httpx.AsyncBaseTransport | None):
    """The server Runtime behind an embedded transport (None for a remote API)."""
    app = getattr(transport, "app", None)
    state = getattr(app, "state", None)
    return getattr(state, "runtime", None)


async def close_transport(transport: httpx.AsyncBaseTransport | None) -> None:
    """Release the embedded server's database connections (no-op for a remote API)."""
    runtime = embedded_runtime(transport)
    if runtime is not None:
        await runtime.close()
