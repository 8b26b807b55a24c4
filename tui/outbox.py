"""Reading the embedded server's outbox: in embedded mode no mail leaves the computer,
so the console shows the latest message itself (the verification code is in it)."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path


@dataclass(frozen=True)
class OutboxMessage:
    path: Path
    to: str
    subject: str
    body: str


def latest_message(outbox_dir: Path | None, to: str | None = None) -> OutboxMessage | None:
    """The newest .eml in `outbox_dir` (addressed to `to` when given), or None."""
    if outbox_dir is None or not outbox_dir.is_dir():
        return None
    # The outbox names files `<time_ns>-<random>.eml`, so the name orders them by time.
    for path in sorted(outbox_dir.glob("*.eml"), reverse=True):
        message = _read(path)
        if message is not None and (to is None or message.to.strip().lower() == to.strip().lower()):
            return message
    return None


def _read(path: Path) -> OutboxMessage | None:
    try:
        with path.open("rb") as f:
            msg = BytesParser(policy=policy.default).parse(f)
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
    except (OSError, ValueError, LookupError):
        return None
    return OutboxMessage(path=path, to=str(msg.get("To", "")), subject=str(msg.get("Subject", "")), body=body)
