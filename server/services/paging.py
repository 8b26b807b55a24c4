"""Keyset pagination: an opaque cursor holds the sort key of the last row of a page.

Keyset (not OFFSET) so that a deep page costs what the first one does and rows
inserted meanwhile never shift a page. The cursor is not signed: every query it feeds
is still scoped to the caller's tenant, so a forged cursor only moves within it.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from server.errors import ApiError


def encode_cursor(*values) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *types: type) -> tuple:
    """-> the values, converted to `types` (datetime, int or str); a bad cursor -> 422."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(types):
            raise ValueError
        values = []
        for value, kind in zip(raw, types):
            if kind is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError
            elif kind is int and not 0 < value < 2**63:  # beyond the databases' BIGINT
                raise ValueError
            values.append(value)
        return tuple(values)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(422, "invalid_cursor", "This page link is not valid: start again from the first page.")


def page_of(rows: list, limit: int, key) -> tuple[list, str | None]:
    """Rows were fetched with limit + 1: cut to `limit` and make the next cursor."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(*key(rows[-1]))
