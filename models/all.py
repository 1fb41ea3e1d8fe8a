"""Imports every model module so Base.metadata knows all tables (migrations, tests)."""

from models import (  # noqa: F401
    audit,
    care,
    certificates,
    conversations,
    fatigue,
    groupbuy,
    help_requests,
    outbox,
    people,
    records,
    redemptions,
    reports,
    rollcall_answers,
    rollcalls,
    shift_calls,
    shift_notices,
    shift_swaps,
    shifts,
    tasks,
    thanks,
)
