"""The reference CODITECT Cloud API (FastAPI + SQLAlchemy 2).

Importing this package is cheap: FastAPI and SQLAlchemy load only when
`server.app.create_app` (or a module that needs them) is imported.
`server.schemas` is the API contract and is pure pydantic.
"""
