"""Imports every model module so Base.metadata knows all tables (migrations, tests)."""

from models import (  # noqa: F401
    audit,
    conversations,
    groupbuy,
    help_requests,
    outbox,
    people,
    records,
    tasks,
)
