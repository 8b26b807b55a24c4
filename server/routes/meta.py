"""Health and the public signing keys."""

from __future__ import annotations

from fastapi import APIRouter

from server.deps import RuntimeDep
from server.schemas import Health, Jwks, JwksRotation

router = APIRouter()


@router.get("/healthz", response_model=Health, tags=["meta"])
async def healthz(runtime: RuntimeDep) -> Health:
    return Health(status="ok", database=runtime.engine.dialect.name)


@router.get("/.well-known/jwks.json", response_model=Jwks, tags=["meta"])
async def jwks(runtime: RuntimeDep) -> Jwks:
    return Jwks.model_validate(runtime.signing_key.jwks())


@router.get("/.well-known/jwks-rotation.json", response_model=JwksRotation, tags=["meta"])
async def jwks_rotation(runtime: RuntimeDep) -> JwksRotation:
    """The current keys vouched for by each retired key (empty until a key is rotated)."""
    now = int(runtime.clock.now().timestamp())
    return JwksRotation(statements=runtime.signing_key.rotation_statements(runtime.retired_signing_keys, now))
