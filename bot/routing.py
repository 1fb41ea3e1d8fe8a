"""Routers: each capability declares its commands, buttons and wizards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.callbacks import ButtonData, prefix_of
from bot.context import Ctx, Emitter

Handler = Callable[[Ctx], Awaitable[None]]
# Renders a live message's current content by calling `ctx.live(...)` once; run by delivery.
View = Callable[[Emitter, str], Awaitable[None]]
# Due work run on every scheduler tick, in its own transaction; it finds what is due in rows.
Job = Callable[[Emitter], Awaitable[None]]
Where = Literal["group", "private", "any"]
# Who may use a command, as the domain rules decide it:
#   leader: leaders of the group's building (in private: of any building) and coordinators
#   admin: the group's creator and administrators      volunteer: people in the volunteer pool
#   gatekeeper: volunteers and leaders (who hand goods out at the gate)
#   coordinator: the community's coordinators
Audience = Literal["everyone", "volunteer", "gatekeeper", "leader", "admin", "coordinator"]
# Things that happen to the bot rather than messages to it: "joined_group" (added to a group).
Event = Literal["joined_group"]


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """A slash command: where it may be used and who sees it in /help."""

    name: str
    handler: Handler
    where: Where
    audience: Audience
    # Asks Telegram who is an admin (getChatMember): the dispatcher does it before the write
    # transaction opens, so a network call never holds the database's write lock.
    member_check: bool = False
    # In a group, the command only works once the group is bound to a building.
    needs_bound: bool = False


@dataclass(slots=True)
class Router:
    """One capability's routes, composed explicitly in bot/app.py."""

    name: str
    commands: dict[str, CommandRoute] = field(default_factory=dict)
    callbacks: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[type[ButtonData], Handler] = field(default_factory=dict)
    member_checked_callbacks: set[str] = field(default_factory=set)
    conversations: dict[str, Handler] = field(default_factory=dict)
    replies: dict[str, Handler] = field(default_factory=dict)
    deep_links: dict[str, Handler] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    live_gaps: dict[str, float] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    events: dict[str, Handler] = field(default_factory=dict)
    # Plain text in private chat outside any wizard (one router may claim it).
    private_fallback: Handler | None = None

    def command(
        self,
        name: str,
        *,
        where: Where = "any",
        audience: Audience = "everyone",
        member_check: bool = False,
        needs_bound: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Route `/name` (used in `where`; listed in /help for `audience`).

        `member_check`: the handler needs the group roles of the sender and of the person the
        command names (a replied-to message or a numeric user id), asked before the transaction.
        """

        def register(handler: Handler) -> Handler:
            self.commands[name] = CommandRoute(
                name, handler, where, audience, member_check, needs_bound
            )
            return handler

        return register

    def callback(
        self, kind: str | type[ButtonData], *, member_check: bool = False
    ) -> Callable[[Handler], Handler]:
        """Route taps on buttons of a declared kind (ctx.button holds it, parsed), or by prefix.

        See `command` for member_check.
        """
        prefix = kind if isinstance(kind, str) else prefix_of(kind)

        def register(handler: Handler) -> Handler:
            if isinstance(kind, str):
                self.callbacks[prefix] = handler
            else:
                self.buttons[kind] = handler
            if member_check:
                self.member_checked_callbacks.add(prefix)
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

    def private_text(self, handler: Handler) -> Handler:
        """Route plain private text that no wizard is waiting for (else: the /help hint)."""
        self.private_fallback = handler
        return handler

    def job(self, job: Job) -> Job:
        """Run `job` on every scheduler tick (it claims its own due rows)."""
        self.jobs.append(job)
        return job

    def live_view(self, key_prefix: str, *, min_gap: float | None = None) -> Callable[[View], View]:
        """Register how to render live messages keyed `key_prefix:...` at send time.

        `min_gap`: seconds between two edits of one such message in a group, if not the default.
        """

        def register(view: View) -> View:
            self.views[key_prefix] = view
            if min_gap is not None:
                self.live_gaps[key_prefix] = min_gap
            return view

        return register

    def event(self, name: Event) -> Callable[[Handler], Handler]:
        """Route something that happened to the bot, e.g. being added to a group."""

        def register(handler: Handler) -> Handler:
            self.events[name] = handler
            return handler

        return register
