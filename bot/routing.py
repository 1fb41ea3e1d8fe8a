"""Routers: each capability declares its commands, buttons and wizards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.context import Ctx, Emitter

Handler = Callable[[Ctx], Awaitable[None]]
# Renders a live message's current content by calling `ctx.live(...)` once; run by delivery.
View = Callable[[Emitter, str], Awaitable[None]]
Where = Literal["group", "private", "any"]
# Who may use a command, as the domain rules decide it:
#   leader: leaders of the group's building (in private: of any building) and the group's admins
#   admin: the group's creator and administrators      volunteer: people in the volunteer pool
#   gatekeeper: volunteers and leaders (who hand goods out at the gate)
Audience = Literal["everyone", "volunteer", "gatekeeper", "leader", "admin"]


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """A slash command: where it may be used and who sees it in /help."""

    name: str
    handler: Handler
    where: Where
    audience: Audience
    # In a group, the command only works once the group is bound to a building.
    needs_bound: bool = False


@dataclass(slots=True)
class Router:
    """One capability's routes, composed explicitly in bot/app.py."""

    name: str
    commands: dict[str, CommandRoute] = field(default_factory=dict)
    callbacks: dict[str, Handler] = field(default_factory=dict)
    conversations: dict[str, Handler] = field(default_factory=dict)
    replies: dict[str, Handler] = field(default_factory=dict)
    deep_links: dict[str, Handler] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *,
        where: Where = "any",
        audience: Audience = "everyone",
        needs_bound: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Route `/name` (used in `where`; listed in /help for `audience`)."""

        def register(handler: Handler) -> Handler:
            self.commands[name] = CommandRoute(name, handler, where, audience, needs_bound)
            return handler

        return register

    def callback(self, prefix: str) -> Callable[[Handler], Handler]:
        """Route button taps whose data starts with `prefix:`."""

        def register(handler: Handler) -> Handler:
            self.callbacks[prefix] = handler
            return handler

        return register

    def conversation(self, name: str) -> Callable[[Handler], Handler]:
        """Route free text and shared contacts in private chat while wizard `name` is active."""

        def register(handler: Handler) -> Handler:
            self.conversations[name] = handler
            return handler

        return register

    def reply_to_live(self, key_prefix: str) -> Callable[[Handler], Handler]:
        """Route text replies to a live message whose key starts with `key_prefix:`."""

        def register(handler: Handler) -> Handler:
            self.replies[key_prefix] = handler
            return handler

        return register

    def deep_link(self, prefix: str) -> Callable[[Handler], Handler]:
        """Route `/start <prefix><id>` (a t.me link from a group) in private chat."""

        def register(handler: Handler) -> Handler:
            self.deep_links[prefix] = handler
            return handler

        return register

    def live_view(self, key_prefix: str) -> Callable[[View], View]:
        """Register how to render live messages keyed `key_prefix:...` at send time."""

        def register(view: View) -> View:
            self.views[key_prefix] = view
            return view

        return register
