"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import (
    buildings,
    care,
    greeting,
    groupbuy,
    groupbuy_leader,
    help,
    help_intake,
    help_requests,
    households,
    onboarding,
    rollcall,
    shift_calls,
    shift_roster,
    shifts,
    tasks,
)

ROUTERS = [
    buildings.router,
    households.router,
    onboarding.router,
    help.router,
    care.router,
    groupbuy.router,
    groupbuy_leader.router,
    help_intake.router,
    help_requests.router,
    shifts.router,
    shift_roster.router,
    tasks.router,
    rollcall.router,
    shift_calls.router,
    greeting.router,
]
