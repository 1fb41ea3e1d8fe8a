"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import greeting, groupbuy, onboarding

ROUTERS = [onboarding.router, groupbuy.router, greeting.router]
