"""An error no worker catches ends the app with one sentence, never a traceback (whose
local variables could show what the user typed)."""

from __future__ import annotations

import logging

import pytest

from tests.screens.driving import settle
from console.app import crash_message


async def test_an_uncaught_error_leaves_a_sentence_and_a_log_line_not_a_traceback(config, make_app, caplog, capsys):
    app = make_app(config)
    secret = "hunter2-typed-password"

    def boom() -> None:
        typed = secret  # noqa: F841  (a local a Rich traceback would print)
        raise RuntimeError(f"failed with {secret}")

    with pytest.raises(RuntimeError), caplog.at_level(logging.ERROR, logger="coditect.console"):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.call_later(boom)
            await pilot.pause()
    printed = capsys.readouterr().err
    shown = " ".join(printed.split())  # what the terminal shows after the app
    assert crash_message(config) in shown
    assert str(config.data_dir / "console.log") in printed.splitlines()  # on its own line, never folded
    assert "Traceback" not in shown and secret not in shown
    assert "RuntimeError" in caplog.text and secret not in caplog.text
