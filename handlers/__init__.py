"""Capability handlers; bot/app.py composes their routers in this order."""

from handlers import onboarding

ROUTERS = [onboarding.router]
