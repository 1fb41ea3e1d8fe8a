"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import (
    buildings,
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
    groupbuy.router,
    groupbuy_leader.router,
    greeting.router,
]
