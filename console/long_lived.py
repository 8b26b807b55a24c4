"""What start-up loaded lives as long as the process: keep it out of Python's full collections.

A full (generation 2) collection walks every object the process holds: with the modules,
the API client and the embedded server loaded, ~130 ms with the admin console open, and a
key typed meanwhile waits that long. `gc.freeze()` after start-up moves those objects to
the permanent generation, which collections skip (~25-40 ms then). Once per process: a
test run that starts many apps would otherwise keep earlier apps' garbage cycles forever.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_start_up_objects() -> bool:
    """-> whether this call froze them (only the first call of the process does)."""
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.freeze()
    return True
