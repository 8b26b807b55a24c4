"""/api/v1 routes: support."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
