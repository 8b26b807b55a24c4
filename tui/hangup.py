"""When the terminal goes away (an SSH connection dropped: SIGHUP, or EIO on the tty).

The app then has no screen to draw on and nobody to answer; it must give the seat back
and exit within a few seconds, printing nothing (there is nowhere to print) and leaving
nothing running. The steps that need no Textual live here; console/app.py wires them.
"""

from __future__ import annotations

import errno
import os
import threading

# Seconds the seat release may take before the app exits anyway (the server's seat TTL
# is the backstop); and the hard deadline for the whole exit.
SEAT_RELEASE_TIMEOUT_S = 3.0
EXIT_DEADLINE_S = 8.0
HANGUP_EXIT_STATUS = 129  # 128 + SIGHUP, as a shell reports a hung-up command

# read()/write() on a terminal that has been hung up.
TERMINAL_GONE_ERRNOS = frozenset({errno.EIO, errno.ENXIO, errno.EBADF, errno.EPIPE})


def terminal_gone(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in TERMINAL_GONE_ERRNOS


def detach_from_terminal() -> None:
    """Point stdin, stdout and stderr at /dev/null: whatever the UI still writes while it
    shuts down (restoring terminal modes, a last frame) goes nowhere instead of failing
    with EIO, and a writer thread blocked on the dead tty cannot stall the exit."""
    fd = os.open(os.devnull, os.O_RDWR)
    try:
        for target in (0, 1, 2):
            try:
                os.dup2(fd, target)
            except OSError:
                pass
    finally:
        os.close(fd)


def exit_anyway_after(seconds: float = EXIT_DEADLINE_S, status: int = HANGUP_EXIT_STATUS) -> threading.Timer:
    """A last resort: end the process after `seconds` even if the orderly exit stalls
    (a daemon timer; a normal exit before then makes it moot)."""
    timer = threading.Timer(seconds, os._exit, args=(status,))
    timer.daemon = True
    timer.start()
    return timer
