"""The `coditect` command: what the license and the daily quota are for.

Stdlib only: it runs on any system python3 (a Mac's, the workspace container's). The
`cryptography` package is used for Ed25519 when it happens to be importable, never required.
"""

__version__ = "0.1.0"
