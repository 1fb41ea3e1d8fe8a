"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import buildings, groupbuy, households, onboarding

ROUTERS = [buildings.router, households.router, onboarding.router, groupbuy.router]
