"""Imports every model module so Base.metadata knows all tables (migrations, tests)."""

from models import audit, conversations, groupbuy, outbox, people, records, tasks  # noqa: F401
