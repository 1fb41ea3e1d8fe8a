"""Picks the handler for an update and runs it in one unit of work with its outbox rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import ButtonData, is_declared, parse
from bot.clock import Clock
from bot.context import Ctx, Incoming, Outgoing
from bot.i18n import Texts, pick_language
from bot.refusals import ChatRefusal, refusal
from bot.routing import CommandRoute, Handler, Router
from bot.settings import Settings
from bot.transport import BadRequest, BotClient, TransportError
from models import people
from models.base import forget_memo
from models.conversations import current_conversation
from models.errors import DomainError
from models.inbox import DONE, PARKED, claim, claim_all, note_failure, release
from models.outbox import enqueue, live_key_of

log = logging.getLogger(__name__)

# Chats remembered as needing savepoints (see handle_batch), at most.
CAREFUL_CHATS_KEPT = 10_000


class _Redo(Exception):
    """A batch handled at once met a refusal or failure: roll it all back, redo it carefully."""


@dataclass(frozen=True)
class _Refused:
    """What a refused update sends (the refusal explained)."""

    outgoing: list[Outgoing]


class Dispatcher:
    """Routes updates to handlers; commits each handler's changes and messages together."""

    def __init__(
        self,
        routers: Iterable[Router],
        *,
        sessions: async_sessionmaker[AsyncSession],
        texts: Texts,
        settings: Settings,
        clock: Clock,
        api: BotClient,
        on_commit: Callable[[set[int]], None] = lambda chats: None,
    ) -> None:
        self.sessions, self.texts, self.settings = sessions, texts, settings
        self.clock, self.api, self.on_commit = clock, api, on_commit
        self.commands: dict[str, CommandRoute] = {}
        self.callbacks: dict[str, Handler] = {}
        self.buttons: dict[type[ButtonData], Handler] = {}
        self.conversations: dict[str, Handler] = {}
        self.replies: dict[str, Handler] = {}
        self.deep_links: dict[str, Handler] = {}
        self.member_checked_callbacks: set[str] = set()
        self._answering: set[asyncio.Task[None]] = set()
        # Chats whose last batch had a refusal or failure: their next one takes savepoints.
        self._careful: set[int] = set()
        self.events: dict[str, Handler] = {}
        self.private_fallback: Handler | None = None
        for router in routers:
            self.member_checked_callbacks |= router.member_checked_callbacks
            if router.private_fallback is not None:
                if self.private_fallback is not None:
                    raise ValueError(f"router {router.name} claims private text a second time")
                self.private_fallback = router.private_fallback
            for table, routes in (
                (self.commands, router.commands),
                (self.callbacks, router.callbacks),
                (self.buttons, router.buttons),
                (self.conversations, router.conversations),
                (self.replies, router.replies),
                (self.deep_links, router.deep_links),
                (self.events, router.events),
            ):
                clash = table.keys() & routes.keys()
                if clash:
                    raise ValueError(f"router {router.name} redefines {sorted(map(str, clash))}")
                table.update(routes)

    async def handle(self, incoming: Incoming, *, final: bool = True) -> str | None:
        """Process an update exactly once; None when done, else the error of a failed attempt.

        A failed attempt leaves no trace, so the caller may try again; the final one parks the
        update with its error and apologises to the sender. Never raises.
        """
        return await self._handle(incoming, final=final, wait=True)

    async def _handle(self, incoming: Incoming, *, final: bool, wait: bool) -> str | None:
        try:
            statuses = await self._member_statuses(incoming)
            outgoing = await self._run(incoming, statuses)
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
            if not final:
                log.warning("update %s failed (will try again): %s", incoming.update_id, error)
                return error
            log.exception("update %s failed; parked", incoming.update_id)
            try:
                outgoing = await self._recover(incoming, "errors/apology", {}, parked=error)
            except Exception:
                log.exception("could not even park update %s", incoming.update_id)
                return error
        await self._after_commit(outgoing, wait=wait)
        return None

    async def handle_batch(self, incomings: Sequence[Incoming]) -> list[Incoming]:
        """Handle updates that arrived together in one transaction.

        Returns the updates that failed: they were put back in line, to be tried again on their
        own with `handle`. A refusal is not a failure: it is answered like any other outcome.
        Taps are answered in the background after the commit (see `answered`), so the chat's
        next batch need not wait for them. Never raises.
        """
        if len(incomings) == 1:
            error = await self._handle(incomings[0], final=False, wait=False)
            if error is None:
                return []
            try:
                async with self.sessions() as session, session.begin():
                    await note_failure(session, incomings[0].update_id, error)
            except Exception:
                log.exception("could not count a failure of update %s", incomings[0].update_id)
            return list(incomings)
        lookups = await asyncio.gather(
            *(self._member_statuses(i) for i in incomings), return_exceptions=True
        )
        chat = incomings[0].chat.id
        savepoints = chat in self._careful
        try:
            try:
                failed, outgoing, refused = await self._batch(incomings, lookups, savepoints)
            except _Redo:
                # Rolled back whole; from now on this chat's batches take a savepoint each
                # until one of them goes through without a refusal or failure.
                if len(self._careful) >= CAREFUL_CHATS_KEPT:
                    self._careful.clear()  # forgetting only costs a chat one more redo
                self._careful.add(chat)
                savepoints = True
                failed, outgoing, refused = await self._batch(incomings, lookups, savepoints)
        except Exception:
            log.exception("a batch of %d updates failed to commit", len(incomings))
            return list(incomings)
        if savepoints and not failed and not refused:
            self._careful.discard(chat)
        await self._after_commit(outgoing, wait=False)
        return failed

    async def _batch(
        self, incomings: Sequence[Incoming], lookups: list[Any], savepoints: bool
    ) -> tuple[list[Incoming], list[Outgoing], bool]:
        """Handle a batch in one transaction: what failed, what to send, whether any update was
        refused.

        Without savepoints (the common case: a savepoint and its release are two statements per
        update) any refusal or failure raises _Redo, rolling the whole batch back to be handled
        again with them, so a refused update's partial writes never stay.
        """
        failed: list[Incoming] = []
        outgoing: list[Outgoing] = []
        refused = False
        async with self.sessions() as session, session.begin():
            fresh = await claim_all(session, [i.update_id for i in incomings], self.clock.now())
            if not savepoints:
                senders = {i.sender.id for i in incomings if i.sender and i.update_id in fresh}
                await people.preload_people(session, senders)
            for incoming, statuses in zip(incomings, lookups, strict=True):
                if incoming.update_id not in fresh:
                    continue  # a repeat
                if isinstance(statuses, BaseException):
                    done: list[Outgoing] | _Refused | str = f"{type(statuses).__name__}: {statuses}"
                else:
                    done = await self._run_in(session, incoming, statuses, savepoints)
                if isinstance(done, _Refused):
                    refused = True
                    outgoing += done.outgoing
                elif isinstance(done, list):
                    outgoing += done
                elif not savepoints:
                    raise _Redo
                else:
                    log.warning("update %s failed (will try again): %s", incoming.update_id, done)
                    await release(session, incoming.update_id, done)
                    failed.append(incoming)
            await self._store(session, outgoing)
        return failed, outgoing, refused

    async def _run_in(
        self,
        session: AsyncSession,
        incoming: Incoming,
        statuses: dict[int, str] | None,
        savepoint: bool,
    ) -> list[Outgoing] | _Refused | str:
        """Handle a claimed update inside the batch's transaction: its outgoing (wrapped if it
        was refused), or the error. Without a savepoint, a refusal or failure raises _Redo."""
        if not savepoint:
            # What the previous update read may have changed since (see models.base.memo).
            forget_memo(session)
            try:
                return await self._handle_in(session, incoming, statuses)
            except Exception as failure:
                raise _Redo from failure
        try:
            async with session.begin_nested():
                return await self._handle_in(session, incoming, statuses)
        except (DomainError, ChatRefusal) as refused:
            explained = refusal(refused)
            try:
                async with session.begin_nested():
                    return _Refused(
                        await self._explain(
                            session,
                            incoming,
                            explained.template,
                            dict(explained.values),
                            explained.link,
                        )
                    )
            except Exception as failure:
                return f"{type(failure).__name__}: {failure}"
        except Exception as failure:
            return f"{type(failure).__name__}: {failure}"

    async def _handle_in(
        self, session: AsyncSession, incoming: Incoming, statuses: dict[int, str] | None
    ) -> list[Outgoing]:
        """Route a claimed update in the caller's transaction; what it emits (a tap is always
        answered)."""
        ctx = await self._context(session, incoming)
        ctx.member_statuses = statuses
        await self._route(ctx)
        if incoming.callback_id and not any(o.kind == "answer" for o in ctx.outgoing):
            ctx.answer()
        return ctx.outgoing

    async def _after_commit(self, outgoing: list[Outgoing], *, wait: bool = True) -> None:
        """Wake delivery for the chats written to; answer taps at once, side by side.

        Without `wait` the answers go on in the background (`answered` waits for them), so a
        chat's next updates need not wait for the round trips of its last ones.
        """
        chats = {o.chat_id for o in outgoing if o.kind != "answer" and o.chat_id is not None}
        if chats:
            self.on_commit(chats)
        answers = [o for o in outgoing if o.kind == "answer"]
        if not wait:
            for answer in answers:
                task = asyncio.create_task(self._answer(answer))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
        elif len(answers) == 1:
            await self._answer(answers[0])
        elif answers:
            await asyncio.gather(*(self._answer(a) for a in answers))

    async def answered(self, within: float) -> None:
        """Wait up to `within` seconds for taps still being answered; give up on the rest."""
        if self._answering:
            _done, pending = await asyncio.wait(set(self._answering), timeout=within)
            for task in pending:
                task.cancel()

    async def _member_statuses(self, incoming: Incoming) -> dict[int, str] | None:
        """Group roles a route needs, asked before any transaction (a network round trip)."""
        chat, sender = incoming.chat, incoming.sender
        if not chat.is_group or sender is None:
            return None
        if incoming.callback_data is not None:
            if incoming.callback_data.split(":", 1)[0] not in self.member_checked_callbacks:
                return None
        else:
            route = self.commands.get(incoming.command or "")
            if route is None or not route.member_check:
                return None
        wanted = {sender.id}
        if incoming.reply_to is not None and incoming.reply_to.sender_id is not None:
            wanted.add(incoming.reply_to.sender_id)
        arg = incoming.args.strip()
        if arg.isdigit() and len(arg) <= 15:
            wanted.add(int(arg))
        statuses: dict[int, str] = {}
        for user_id in wanted:
            try:
                statuses[user_id] = await self.api.member_status(chat.id, user_id)
            except BadRequest:
                # Telegram answers "user not found" for ids it never saw in the chat.
                statuses[user_id] = "left"
        return statuses

    async def _run(self, incoming: Incoming, statuses: dict[int, str] | None) -> list[Outgoing]:
        """Handle the update in one transaction; returns what it emitted (empty if a repeat)."""
        try:
            async with self.sessions() as session, session.begin():
                if not await claim(session, incoming.update_id, self.clock.now()):
                    return []
                outgoing = await self._handle_in(session, incoming, statuses)
                await self._store(session, outgoing)
                return outgoing
        except (DomainError, ChatRefusal) as refused:
            # The transaction above is rolled back: a refused action leaves no trace but the answer.
            explained = refusal(refused)
            return await self._recover(
                incoming, explained.template, dict(explained.values), explained.link
            )

    async def _recover(
        self,
        incoming: Incoming,
        template: str,
        values: dict,
        link: str | None = None,
        *,
        parked: str | None = None,
    ) -> list[Outgoing]:
        """Record the update (parked with its error, if given) and answer it, in a fresh
        transaction."""
        async with self.sessions() as session, session.begin():
            finished = await claim(
                session,
                incoming.update_id,
                self.clock.now(),
                status=PARKED if parked else DONE,
                error=parked,
            )
            if not finished:
                return []
            outgoing = await self._explain(session, incoming, template, values, link)
            await self._store(session, outgoing)
            return outgoing

    async def _explain(
        self,
        session: AsyncSession,
        incoming: Incoming,
        template: str,
        values: dict,
        link: str | None,
    ) -> list[Outgoing]:
        """The answer to an update that changed nothing: an alert to a tap, else a reply."""
        ctx = await self._context(session, incoming)
        if incoming.callback_id:
            ctx.answer(template, alert=True, link=link, **values)
        elif incoming.sender is not None:
            ctx.reply(template, **values)
        return ctx.outgoing

    async def _store(self, session: AsyncSession, outgoing: list[Outgoing]) -> None:
        """Messages go to the outbox, in the handler's transaction.

        Answers to button taps do not: Telegram forgets a tap after a few seconds, so an answer
        is worth sending right after the commit and worthless after a restart.
        """
        await enqueue(session, [o for o in outgoing if o.kind != "answer"], self.clock.now())

    async def _answer(self, action: Outgoing) -> None:
        assert action.callback_id is not None
        try:
            await self.api.answer_callback(
                action.callback_id, action.text, action.alert, action.url
            )
        except TransportError as failed:
            log.warning("could not answer tap %s: %s", action.callback_id, failed)

    async def _context(self, session: AsyncSession, incoming: Incoming) -> Ctx:
        person = await people.find_person(session, incoming.sender.id) if incoming.sender else None
        if incoming.chat.is_private and incoming.sender is not None and not incoming.sender.is_bot:
            # Whoever writes to the bot privately can be written to (until a 403 says otherwise).
            if person is None:
                person = await people.ensure_person(
                    session, incoming.sender.id, incoming.sender.name, self.clock.now()
                )
            people.note_private_start(person)
            if person.language is None and incoming.sender.language_code:
                # Messages Linli later sends them unprompted need a language too.
                known = pick_language(None, incoming.sender.language_code, "")
                person.language = known or None
        lang = pick_language(
            person.language if person else None,
            incoming.sender.language_code if incoming.sender else None,
            self.settings.default_language,
        )
        return Ctx(
            incoming=incoming,
            session=session,
            lang=lang,
            clock=self.clock,
            settings=self.settings,
            texts=self.texts,
            api=self.api,
            person=person,
            commands=self.commands,
        )

    async def _route(self, ctx: Ctx) -> None:
        incoming = ctx.incoming
        if incoming.joined_group:
            # Whoever added the bot (even another bot or an anonymous admin) gets the greeting.
            handler = self.events.get("joined_group")
            if handler is not None:
                await handler(ctx)
            return
        if incoming.sender is None or incoming.sender.is_bot:
            # Channel posts and anonymous admins carry no person; Linli can't attribute the action.
            if incoming.command and incoming.chat.is_group:
                ctx.reply("errors/anonymous")
            return
        if incoming.callback_data is not None:
            await self._route_callback(ctx, incoming.callback_data)
        elif incoming.command:
            await self._route_command(ctx, incoming.command)
        elif incoming.chat.is_private:
            await self._route_private_text(ctx)
        elif incoming.reply_to is not None and incoming.reply_to.from_this_bot and incoming.text:
            # A bare photo under a card is chat, not an answer; only words are read in groups.
            await self._route_reply(ctx, incoming.reply_to.message_id)

    async def _route_callback(self, ctx: Ctx, data: str) -> None:
        prefix = data.split(":", 1)[0]
        if is_declared(prefix):
            # Parsed once, here: forged or outdated data is refused before any handler runs.
            ctx.button = parse(data)
            handler = self.buttons.get(type(ctx.button))
        else:
            handler = self.callbacks.get(prefix)
        if handler is None:
            ctx.answer("errors/stale_button", alert=True)
            return
        await handler(ctx)

    async def _route_command(self, ctx: Ctx, name: str) -> None:
        route = self.commands.get(name)
        chat = ctx.incoming.chat
        if route is None:
            ctx.reply("errors/unknown_command", command=name)
        elif route.where == "group" and not chat.is_group:
            ctx.reply("errors/group_only", command=name)
        elif route.where == "private" and not chat.is_private:
            ctx.reply("errors/private_only", command=name)
        else:
            await (self._deep_link_handler(ctx) or route.handler)(ctx)

    def _deep_link_handler(self, ctx: Ctx) -> Handler | None:
        """A capability's handler for `/start <prefix><digits>`, if one claims the payload."""
        incoming = ctx.incoming
        if incoming.command != "start" or not incoming.chat.is_private:
            return None
        payload = incoming.args.strip()
        for prefix, handler in self.deep_links.items():
            if payload.startswith(prefix) and payload[len(prefix) :].isdigit():
                return handler
        return None

    async def _route_private_text(self, ctx: Ctx) -> None:
        incoming = ctx.incoming
        convo = await current_conversation(
            ctx.session, incoming.chat.id, incoming.sender.id, ctx.clock.now()
        )
        handler = self.conversations.get(convo.name) if convo else None
        if handler is None:
            if convo is None and self.private_fallback is not None:
                await self.private_fallback(ctx)
            else:
                ctx.reply("hint_help")
            return
        await handler(ctx)

    async def _route_reply(self, ctx: Ctx, message_id: int) -> None:
        key = await live_key_of(ctx.session, ctx.incoming.chat.id, message_id)
        handler = self.replies.get(key.split(":", 1)[0]) if key else None
        if handler is not None:
            ctx.live_key = key
            await handler(ctx)
