"""Alembic environment: migrations run on a connection that Linli opens (see models/migrate.py)."""

from __future__ import annotations

from alembic import context

import models.all  # noqa: F401  (registers every table on Base.metadata)
from models.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations with `linli db upgrade`; it opens the database for Alembic.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
