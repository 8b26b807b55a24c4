"""/api/v1 routes: usage."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
