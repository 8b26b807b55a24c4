"""Contract: admin."""

from __future__ import annotations

from pydantic import BaseModel  # noqa: F401

__all__: list[str] = []
