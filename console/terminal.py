"""The Textual driver, told what to do when the terminal disappears.

Textual's LinuxDriver reads the tty in a thread; when the terminal is gone that read
fails with EIO and the driver would make the app panic (a traceback, no clean-up). Here
that failure becomes a SIGHUP to this process instead, the same signal a dropped SSH
connection sends, so both paths end in CoditectApp.hang_up.
"""

from __future__ import annotations

import os
import signal

from textual.drivers.linux_driver import LinuxDriver

from tui.hangup import terminal_gone


class HangupAwareDriver(LinuxDriver):
    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()
        except OSError as error:
            if not terminal_gone(error):
                raise
            os.kill(os.getpid(), signal.SIGHUP)
