"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import groupbuy, help, onboarding

ROUTERS = [onboarding.router, help.router, groupbuy.router]
