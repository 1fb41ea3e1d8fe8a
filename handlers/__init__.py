"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import groupbuy, onboarding

ROUTERS = [onboarding.router, groupbuy.router]
