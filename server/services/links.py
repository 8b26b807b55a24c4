"""Links in mail: built on the server's real public URL (`--public-url`, else the address
it serves on). An embedded server listens on no port, so its mail says to paste the link
into the console instead of opening it."""

from __future__ import annotations


def public_link(settings, path: str, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/{path}?token={token}"


def open_or_paste(settings, purpose: str) -> str:
    """The sentence before a link, e.g. purpose="verify your e-mail address"."""
    if settings.embedded:
        return f"Or paste this link into CODITECT Console, where it asks for the code, to {purpose}:"
    return f"Or open this link to {purpose}:"
