"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import groupbuy, groupbuy_leader, onboarding

ROUTERS = [onboarding.router, groupbuy.router, groupbuy_leader.router]
