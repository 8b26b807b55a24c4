"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server.config import Settings
from server.errors import install_error_handlers
from server.guards import Guards
from server.routes import admin, auth, licenses, meta, pages, password, support, usage
from server.routes import releases
from server.routes import workspace
from server.runtime import Runtime
from server.sweeper import sweep_forever

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await runtime.start()
        sweeper = asyncio.create_task(sweep_forever(runtime))
        try:
            yield
        finally:
            sweeper.cancel()
            await runtime.close()

    app = FastAPI(title="CODITECT Cloud API", version=_version(), lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(Guards, max_body=settings.max_body)
    app.include_router(meta.router)
    app.include_router(pages.router)
    app.include_router(auth.router, prefix=f"{API_PREFIX}/auth", tags=["auth"])
    app.include_router(password.router, prefix=f"{API_PREFIX}/auth/password", tags=["auth"])
    app.include_router(licenses.router, prefix=f"{API_PREFIX}/licenses", tags=["licenses"])
    app.include_router(usage.router, prefix=f"{API_PREFIX}/usage", tags=["usage"])
    app.include_router(admin.router, prefix=f"{API_PREFIX}/admin", tags=["admin"])
    app.include_router(support.router, prefix=f"{API_PREFIX}/support", tags=["support"])
    app.include_router(releases.router, prefix=f"{API_PREFIX}/releases", tags=["releases"])
    app.include_router(workspace.router, prefix=f"{API_PREFIX}/workspace", tags=["workspace"])
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coditect-console")
    except PackageNotFoundError:
        return "0+unknown"


def create_app_from_env() -> FastAPI:
    """uvicorn factory (`server.app:create_app_from_env`), for several worker processes."""
    return create_app(Settings.from_env())
