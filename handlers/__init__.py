"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import (
    buildings,
    care,
    greeting,
    groupbuy,
    groupbuy_leader,
    help,
    households,
    onboarding,
)

ROUTERS = [
    buildings.router,
    households.router,
    onboarding.router,
    help.router,
    care.router,
    groupbuy.router,
    groupbuy_leader.router,
    greeting.router,
]
