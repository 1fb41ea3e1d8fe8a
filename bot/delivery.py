"""Drains the outbox to the chat platform: paced, coalesced, retried, restart-safe."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import PacingClock, SystemClock
from bot.context import Emitter, markup_from_dict
from bot.ratelimit import SlidingWindow
from bot.routing import View
from bot.transport import BadRequest, BotClient, Forbidden, RetryAfter, TransportError
from models.base import reading
from models.outbox import FAILED, PENDING, SENT, SUPERSEDED, LiveMessage, OutboxMessage
from models.people import mark_unreachable

log = logging.getLogger(__name__)

TASK_NAME = "linli-delivery"  # the loop's name; each chat's worker adds ":<chat id>"
STOP_GRACE_SECONDS = 5.0
SCAN_SECONDS = 1.0  # how often delivery looks for due rows nobody told it about
ERROR_CHARS = 300  # the outbox's error column


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's documented sending limits."""

    per_second: int = 30
    per_group_minute: int = 20
    # A group's minute is counted as a minute and two seconds. Telegram measures its minute on
    # its own servers, and when within a call it stamps a message is not ours to know: a check
    # of 40 households joining, paced at exactly 20 per 60 s from each call's start, drew one
    # 429 from the group limit. Counting from the answer covers the call's latency; the margin
    # covers the rest, for about 3% of a busy group's throughput.
    group_margin_seconds: float = 2.0
    # "About one message per second" in a private chat, measured over a few seconds so that a
    # wizard's edit-plus-next-question pair is not split by a pause.
    per_private_burst: int = 3
    private_burst_seconds: float = 3.0
    max_attempts: int = 8
    # A live card edited at most this often: a burst of sign-ups becomes one edit per gap,
    # which keeps a busy group far below its 20 messages a minute.
    live_gap_seconds: float = 3.0


@dataclass(frozen=True, slots=True)
class Prepared:
    """What one outbox row sends, read just before sending (a live row: its newest content)."""

    row_id: int
    kind: str
    chat_id: int
    live_key: str | None
    payload: dict
    data: bytes | None
    target: int | None  # the message a live edit replaces


@dataclass(frozen=True, slots=True)
class Due:
    """The chat's next row to deliver."""

    row_id: int


@dataclass(frozen=True, slots=True)
class Held:
    """Only card edits held back by their gap are pending; the first comes due in `seconds`."""

    seconds: float


@dataclass(slots=True)
class Slot:
    """One call's place in the rate windows: in flight until Telegram answers it."""

    windows: tuple[SlidingWindow, ...]
    done: bool = False

    def answered(self, now: float) -> None:
        """Count the call from `now`: Telegram may count it as late as its answer."""
        self._end(now)

    def unused(self) -> None:
        """Give the place back: the call was never made."""
        self._end(None)

    def _end(self, now: float | None) -> None:
        if not self.done:
            self.done = True
            for window in self.windows:
                window.end(now)


class Delivery:
    """One chat at a time per worker, in order; many chats in parallel within the global limit."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: BotClient,
        limits: Limits | None = None,
        *,
        views: Mapping[str, View] | None = None,
        live_gaps: Mapping[str, float] | None = None,
        context_for: Callable[[AsyncSession], Emitter] | None = None,
        clock: PacingClock | None = None,
    ) -> None:
        self.sessions, self.client = sessions, client
        # Not the domain clock: end-to-end tests move that by days, while delivery must pace by
        # real time against the sandbox. Unit tests pass a ManualClock to step through windows.
        self.clock: PacingClock = clock or SystemClock()
        self.views = dict(views or {})
        # Per live-key prefix: cards of low urgency may be edited less often than the default.
        self.live_gaps = dict(live_gaps or {})
        self.context_for = context_for or _no_context
        self.limits = limits or Limits()
        # Single process: the windows live in memory (several replicas would share them in Redis).
        self._global = SlidingWindow(self.limits.per_second, 1.0)
        self._global_turn = asyncio.Lock()  # fair: first come, first served
        self._chat_windows: dict[int, SlidingWindow] = {}
        self._paused_until: dict[int, float] = {}
        self._live_sent_at: dict[str, float] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._nudges: dict[int, asyncio.Event] = {}
        self._wake = asyncio.Event()
        self._woken: set[int] = set()
        self._scan_all = True
        self._scanned_at = 0.0
        self._stopping = False
        self._calling: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start draining in the background."""
        self._loop_task = asyncio.create_task(self._run(), name=TASK_NAME)

    def wake(self, chats: Iterable[int] | None = None) -> None:
        """Tell delivery that rows were committed (for these chats; None: look everywhere)."""
        if chats is None:
            self._scan_all = True
        else:
            self._woken.update(chats)
            for chat in chats:
                if (nudge := self._nudges.get(chat)) is not None:
                    nudge.set()
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the calls in flight; pending rows stay for the next start."""
        self._stopping = True
        self._wake.set()
        if self._calling:
            # A call cut off mid-flight may have reached Telegram without being marked sent,
            # and would go out again after the restart: let calls under way finish first.
            # Workers that are only waiting for a rate limit are cancelled at once.
            await asyncio.wait(set(self._calling), timeout=STOP_GRACE_SECONDS)
        tasks = [t for t in (self._loop_task, *self._workers.values()) if t]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self, within: float = 30.0) -> None:
        """Wait until nothing deliverable is pending (for tests and benchmarks).

        `within` is the caller's real-time patience, whatever clock paces delivery.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not any(not w.done() for w in self._workers.values()) and not await self._due():
                return
            self.wake()
            await asyncio.sleep(0.05)
        raise TimeoutError("outbox still has deliverable rows")

    # -- scheduling ----------------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stopping:
            # A committed handler names its chats, so a burst of sign-ups costs no outbox scans;
            # the periodic full scan finds rows from elsewhere and those whose back-off ended.
            # Cleared before taking the chats: a wake during the scan must end the wait below.
            self._wake.clear()
            chats, self._woken = self._woken, set()
            try:
                if self._scan_all or self.clock.monotonic() - self._scanned_at > SCAN_SECONDS:
                    self._scan_all, self._scanned_at = False, self.clock.monotonic()
                    chats.update(await self._due())
            except Exception:
                log.exception("delivery scan failed; retrying")
            for chat in chats:
                worker = self._workers.get(chat)
                if worker is None or worker.done():
                    self._workers[chat] = asyncio.create_task(
                        self._drain_chat(chat), name=f"{TASK_NAME}:{chat}"
                    )
            await self._wait(self._wake, SCAN_SECONDS)

    async def _due(self) -> list[int]:
        """Chats with rows due now."""
        async with reading(self.sessions) as session:
            rows = await session.scalars(
                select(OutboxMessage.chat_id)
                .where(OutboxMessage.status == PENDING, self._due_clause())
                .distinct()
            )
            return [chat for chat in rows if chat is not None]

    async def _drain_chat(self, chat: int) -> None:
        nudged = self._nudges.setdefault(chat, asyncio.Event())
        while not self._stopping:
            # Cleared before looking, so a row committed after the look still wakes the wait.
            nudged.clear()
            match await self._next_row(chat):
                case None:
                    if nudged.is_set():
                        # A row was committed while we looked, and the scheduler, seeing this
                        # worker still alive, left it to us: look again rather than leave it
                        # for the next scan a second later.
                        continue
                    return
                case Held(seconds):
                    # Wait for the first held edit to come due, or for a new message to this
                    # chat, which must not wait behind them.
                    await self._wait(nudged, seconds)
                case Due(row_id):
                    try:
                        await self._deliver(chat, row_id)
                    except Exception:
                        log.exception("delivering outbox row %s failed", row_id)
                        await self.clock.sleep(1.0)

    async def _wait(self, event: asyncio.Event, seconds: float) -> None:
        """Until the event is set or `seconds` pass on delivery's clock."""
        waiters = {
            asyncio.ensure_future(event.wait()),
            asyncio.ensure_future(self.clock.sleep(seconds)),
        }
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _next_row(self, chat: int) -> Due | Held | None:
        """The chat's oldest due row, skipping live edits held back by their gap.

        None when nothing is pending; Held when only held-back edits are. Held edits are
        excluded in the query itself: a card posted after hundreds of queued edits of another
        card must not wait behind them.
        """
        holds = {
            key: hold for key in self._live_sent_at if (hold := self._live_hold(chat, key)) > 0
        }
        async with reading(self.sessions) as session:
            pending = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == PENDING,
                    OutboxMessage.chat_id == chat,
                    self._due_clause(),
                )
                .order_by(OutboxMessage.id)
                .limit(1)
            )
            if holds:
                free = or_(
                    OutboxMessage.live_key.is_(None), OutboxMessage.live_key.not_in(list(holds))
                )
                row_id = await session.scalar(pending.where(free))
                if row_id is not None:
                    return Due(row_id)
                waiting = await session.scalars(
                    select(OutboxMessage.live_key)
                    .where(
                        OutboxMessage.status == PENDING,
                        OutboxMessage.chat_id == chat,
                        OutboxMessage.live_key.in_(list(holds)),
                        self._due_clause(),
                    )
                    .distinct()
                )
                soonest = min((holds[key] for key in waiting if key), default=None)
                return None if soonest is None else Held(soonest)
            row_id = await session.scalar(pending)
            return None if row_id is None else Due(row_id)

    def _live_hold(self, chat: int, key: str | None) -> float:
        """Seconds a group card edit must still wait, so edits queued meanwhile collapse into it."""
        if key is None or chat > 0:
            return 0.0
        gap = self.live_gaps.get(key.split(":", 1)[0], self.limits.live_gap_seconds)
        sent_at = self._live_sent_at.get(key)
        return 0.0 if sent_at is None else sent_at + gap - self.clock.monotonic()

    async def _chat_ready(self, chat: int) -> SlidingWindow:
        """Wait for a 429 back-off and the chat's own limit; returns the chat's window."""
        pause = self._paused_until.get(chat, 0.0) - self.clock.monotonic()
        if pause > 0:
            await self.clock.sleep(pause)
        window = self._chat_windows.get(chat)
        if window is None:
            # Group and supergroup ids are negative, private chat ids are the user's (positive).
            window = (
                SlidingWindow(self.limits.per_group_minute, 60.0 + self.limits.group_margin_seconds)
                if chat < 0
                else SlidingWindow(self.limits.per_private_burst, self.limits.private_burst_seconds)
            )
            self._chat_windows[chat] = window
        # The chat's window is this worker's alone (one worker per chat).
        while (wait := window.delay(self.clock.monotonic())) > 0:
            await self.clock.sleep(wait)
        return window

    async def _turn(self, window: SlidingWindow) -> Slot:
        """Wait for a place in the global limit; the call is in flight from then on."""
        # Workers queue for the shared window in turn, so a thousand chats due at once wait as
        # one sleeper, not a thousand waking together each time a place frees up (that herd's
        # own work delayed the answers the windows count from).
        async with self._global_turn:
            while (wait := self._global.delay(self.clock.monotonic())) > 0:
                await self.clock.sleep(wait)
            # In flight from now, so that the next in line sees it; counted from its answer
            # (see `_call_counted`).
            window.begin()
            self._global.begin()
        return Slot((window, self._global))

    # -- one row -------------------------------------------------------------------------------
    async def _deliver(self, chat: int, row_id: int) -> None:
        window = await self._chat_ready(chat)
        # Read after the chat's wait (a card shows its newest state) and before the global
        # turn: a call holds its place in the windows until answered, and database reads
        # inside that span would cost every chat throughput.
        prepared = await self._prepare(row_id)
        if prepared is None:
            return
        slot = await self._turn(window)
        task = asyncio.current_task()
        assert task is not None
        self._calling.add(task)
        try:
            await self._send_and_record(prepared, slot)
        finally:
            self._calling.discard(task)
            slot.unused()  # no-op once answered; gives the place back if the call never ran

    async def _send_and_record(self, prepared: Prepared, slot: Slot) -> None:
        row_id, chat_id, target = prepared.row_id, prepared.chat_id, prepared.target
        try:
            message_id = await self._call_counted(prepared, slot)
        except RetryAfter as slow_down:
            self._paused_until[chat_id] = self.clock.monotonic() + slow_down.seconds
            await self._retry_later(row_id, str(slow_down), backoff=False)
        except Forbidden as refused:
            log.warning("chat %s refused outbox row %s: %s", chat_id, row_id, refused)
            # Private chat ids are the person's user id: a 403 there means they never started
            # the bot or blocked it, so Linli must stop saying "sent to you privately".
            unreachable = chat_id if chat_id > 0 else None
            await self._finish(row_id, FAILED, error=str(refused), unreachable=unreachable)
        except BadRequest as bad:
            if bad.not_modified:
                await self._finish(row_id, SENT, message_id=target)
            elif prepared.kind == "live" and bad.message_gone:
                # Someone deleted the card: post it again rather than lose the live view.
                await self._forget_live(prepared.live_key)
            else:
                log.warning("chat %s rejected outbox row %s: %s", chat_id, row_id, bad)
                await self._finish(row_id, FAILED, error=str(bad))
        except TransportError as passing:
            await self._retry_later(row_id, str(passing), backoff=True)
        else:
            await self._finish(row_id, SENT, message_id=message_id, live_target=target)

    async def _call_counted(self, prepared: Prepared, slot: Slot) -> int | None:
        """Make the call; the rate windows and the card's edit gap count from its answer.

        Telegram counts a message when its server handles it, which may be as late as the
        answer: counting from the start of a slow call would let the next one in too early.
        A refused call stays counted too, since we cannot know what Telegram counted.
        """
        try:
            return await self._call(prepared)
        finally:
            answered = self.clock.monotonic()
            slot.answered(answered)
            if prepared.live_key is not None:
                self._live_sent_at[prepared.live_key] = answered

    async def _prepare(self, row_id: int) -> Prepared | None:
        """Read what to send, without the write lock; a live message sends its newest content."""
        async with reading(self.sessions) as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None or row.status != PENDING:
                return None
            target = None
            if row.kind == "live":
                row = await session.scalar(
                    select(OutboxMessage)
                    .where(OutboxMessage.live_key == row.live_key, OutboxMessage.status == PENDING)
                    .order_by(OutboxMessage.id.desc())
                    .limit(1)
                )
                assert row is not None
                live = await session.get(LiveMessage, row.live_key)
                target = live.message_id if live else None
            payload = dict(row.payload)
            if payload.get("view"):
                payload = await self._render(session, row)
            assert row.chat_id is not None  # every queued action names its chat
            return Prepared(row.id, row.kind, row.chat_id, row.live_key, payload, row.data, target)

    async def _render(self, session: AsyncSession, row: OutboxMessage) -> dict:
        """Run the live message's view now, so the newest state is what gets shown."""
        assert row.live_key is not None
        view = self.views[row.live_key.split(":", 1)[0]]
        ctx = self.context_for(session)
        await view(ctx, row.live_key)
        (rendered,) = ctx.outgoing
        return rendered.payload()

    async def _call(self, prepared: Prepared) -> int | None:
        payload, chat_id = prepared.payload, prepared.chat_id
        markup = markup_from_dict(payload.get("markup"))
        if prepared.kind == "file":
            return await self.client.send_document(
                chat_id, payload["filename"], prepared.data or b"", payload.get("text")
            )
        if prepared.kind == "photo" and payload.get("photo") is None:
            return await self.client.upload_photo(
                chat_id, payload["filename"], prepared.data or b"", payload.get("text")
            )
        if prepared.kind == "photo":
            return await self.client.send_photo(
                chat_id, payload["photo"], payload.get("text"), markup
            )
        if prepared.kind == "live" and prepared.target:
            await self.client.edit_message(chat_id, prepared.target, payload["text"], markup)
            return prepared.target
        return await self.client.send_message(
            chat_id, payload["text"], markup, payload.get("reply_to")
        )

    async def _finish(
        self,
        row_id: int,
        status: str,
        *,
        message_id: int | None = None,
        error: str | None = None,
        live_target: int | None = None,
        unreachable: int | None = None,
    ) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.status, row.message_id = status, message_id
            row.error = error[:ERROR_CHARS] if error else None
            row.sent_at = self.clock.now()
            if unreachable is not None:
                await mark_unreachable(session, unreachable)
            if row.live_key is not None:
                # Older versions of this live message are covered by the one just handled.
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.live_key == row.live_key,
                        OutboxMessage.status == PENDING,
                        OutboxMessage.id < row.id,
                    )
                    .values(status=SUPERSEDED)
                )
            if row.kind == "live" and status == SENT and message_id and not live_target:
                await session.merge(
                    LiveMessage(
                        key=row.live_key,
                        chat_id=row.chat_id,
                        message_id=message_id,
                        updated_at=self.clock.now(),
                    )
                )

    async def _retry_later(self, row_id: int, error: str, *, backoff: bool) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.error = error[:ERROR_CHARS]
            if backoff and row.attempts >= self.limits.max_attempts:
                log.error("giving up on outbox row %s after %s attempts", row_id, row.attempts)
                row.status = FAILED
            elif backoff:
                row.not_before = self.clock.now() + timedelta(seconds=min(2**row.attempts, 60))

    def _due_clause(self) -> ColumnElement[bool]:
        now: datetime = self.clock.now()
        return (OutboxMessage.not_before.is_(None)) | (OutboxMessage.not_before <= now)

    async def _forget_live(self, live_key: str | None) -> None:
        async with self.sessions() as session, session.begin():
            live = await session.get(LiveMessage, live_key) if live_key else None
            if live is not None:
                await session.delete(live)


def _no_context(_session: AsyncSession) -> Emitter:
    raise RuntimeError("live views need Delivery(context_for=...)")
