"""/api/v1 routes: licenses."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
