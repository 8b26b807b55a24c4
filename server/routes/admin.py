"""/api/v1 routes: admin."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
