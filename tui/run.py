"""Starting the app from parsed CLI arguments (imports Textual)."""

from __future__ import annotations


def run_app(args) -> int:
    raise SystemExit("coditect-console: the app is not built yet")
