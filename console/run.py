"""Starting the app from parsed CLI arguments (imports Textual)."""

from __future__ import annotations

import logging
import os

from tui.config import AppConfig, ensure_private_dir

LOG_FILE = "console.log"


def _log_to_file(config: AppConfig) -> None:
    """Warnings and errors go to data_dir/console.log (0600; never any secret: see
    tui.errors.log_unexpected)."""
    ensure_private_dir(config.data_dir)
    path = config.data_dir / LOG_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def run_app(args, start: str | None = None) -> int:
    """`start`: "admin" or "support" to open that console once signed in (None: Home)."""
    config = AppConfig.from_args(args)
    _log_to_file(config)
    from console.app import CoditectApp

    app = CoditectApp(config, start=start)
    app.run()
    return app.return_code or 0
