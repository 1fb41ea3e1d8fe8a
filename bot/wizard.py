"""The wizard engine: multi-step conversations declared as flows of named steps.

A capability makes one `Wizards` for its router and registers flows on it:

    wizards = Wizards(router, nudge="wizard/use_buttons", on_done=say_done)
    wizards.flow("onboard", [LANG, BUILDING, ROOM, PHONE])

Each `Step` says how it asks (`ask`), what input answers it (`on_text`, `on_contact`, `on_photo`),
when it is passed over (`skip`) and where the flow goes after it (`next`). A photo handler may
answer `Keep(data)`: the step stays open with what it gathered (a photo still wanting words).
A step with no input handler is answered by buttons: their handlers check `at_step` and call
`advance` (or `stay`, for a toggle that keeps the question open).

The position lives in the conversations table, keyed by (chat, user) with an expiry, not in a
framework's memory: both adapters and several replicas share it, and a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from bot.context import Contact, Ctx
from bot.refusals import StaleButton
from bot.routing import Router
from models.conversations import (
    DEFAULT_TTL,
    current_conversation,
    end_conversation,
    set_conversation,
)

Data = dict[str, Any]
# Asks the step (a message, a live question with buttons). Returns False when the step cannot be
# asked at all (say, nothing to choose from yet): the flow ends there, keeping what was answered.
Prompt = Callable[[Ctx, Data], Awaitable[bool | None]]
# Takes typed text (or a shared contact) for the step: the updated data moves the flow on; None
# means "not an answer to this step" (the person is nudged); a DomainError refuses it, and the
# dispatcher's rollback leaves the flow waiting at the same step.
TextHandler = Callable[[Ctx, Data, str], Awaitable[Data | None]]
ContactHandler = Callable[[Ctx, Data, Contact], Awaitable[Data | None]]


@dataclass(frozen=True, slots=True)
class Keep:
    """A photo answered only part of the step: keep `data` and wait at the same step.

    The handler has said what is still wanted (a photo without a caption, say, still needs words).
    """

    data: Data


# Takes a photo (the file_id of its largest size) and its caption, if any: Data moves the flow
# on, Keep stays at the step with new data, None nudges. Without it, a caption is typed text.
PhotoHandler = Callable[[Ctx, Data, str, str | None], Awaitable[Data | Keep | None]]
# Said once a run ends after at least one answer; gets the flow's name and its final data.
Finish = Callable[[Ctx, str, Data], Awaitable[None]]
Skip = Callable[[Mapping[str, Any]], bool]
Next = str | Callable[[Mapping[str, Any]], str]

# The `next` of a step that ends its flow.
END: Final = "__end__"


@dataclass(frozen=True, slots=True)
class Step:
    """One named question of a flow: how it asks, what answers it, what follows."""

    name: str
    ask: Prompt
    on_text: TextHandler | None = None
    on_contact: ContactHandler | None = None
    on_photo: PhotoHandler | None = None
    # A step name, END, or a function of the data choosing one; None: the following step.
    next: Next | None = None
    skip: Skip | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    """A named sequence of steps and what to say when input fits none of them or the run ends."""

    name: str
    steps: tuple[Step, ...]
    nudge: str
    on_done: Finish | None = None
    ttl: timedelta = DEFAULT_TTL

    def step(self, name: str) -> Step | None:
        """The step called `name`, if this flow has one."""
        return next((s for s in self.steps if s.name == name), None)

    def after(self, step: Step, data: Mapping[str, Any]) -> str:
        """The name of the step that follows `step` (END past the last one)."""
        if step.next is None:
            position = self.steps.index(step) + 1
            return self.steps[position].name if position < len(self.steps) else END
        return step.next if isinstance(step.next, str) else step.next(data)


@dataclass(frozen=True, slots=True)
class Run:
    """One person's place in a flow: the flow, the step it waits at, and what was gathered."""

    flow: str
    step: str
    data: Data


def live_key(ctx: Ctx, data: Mapping[str, Any], step: str) -> str:
    """The live-message key of a step's question in this run (a tap edits it to the answer)."""
    return f"wz:{ctx.incoming.chat.id}:{data['run']}:{step}"


async def leave(ctx: Ctx) -> bool:
    """End the sender's wizard in this chat, whichever it is; False if there was none."""
    return await end_conversation(ctx.session, ctx.incoming.chat.id, _user(ctx))


@dataclass(slots=True)
class Wizards:
    """One capability's flows, routed to by its router while one of them is active."""

    router: Router
    nudge: str
    on_done: Finish | None = None
    flows: dict[str, Flow] = field(default_factory=dict)

    def flow(
        self,
        name: str,
        steps: Sequence[Step],
        *,
        nudge: str | None = None,
        on_done: Finish | None = None,
        ttl: timedelta = DEFAULT_TTL,
    ) -> Flow:
        """Register a flow; its free text and shared contacts in private chat come here."""
        names = [s.name for s in steps]
        if not steps or len(set(names)) != len(names) or END in names:
            raise ValueError(f"flow {name}: steps need distinct names, not {END!r}: {names}")
        unknown = {s.next for s in steps if isinstance(s.next, str)} - {*names, END}
        if unknown:
            raise ValueError(f"flow {name}: no step called {sorted(unknown)}")
        flow = Flow(name, tuple(steps), nudge or self.nudge, on_done or self.on_done, ttl)
        self.flows[name] = flow
        self.router.conversation(name)(self.on_input)
        return flow

    async def begin(self, ctx: Ctx, flow: str, data: Mapping[str, Any]) -> None:
        """Start `flow` for the sender at its first step, replacing any wizard they were in."""
        # The run id keeps this run's live questions apart from an earlier run's in the chat.
        started = self.flows[flow]
        await self._enter(
            ctx, started, started.steps[0].name, {**data, "run": ctx.incoming.update_id}
        )

    async def at_step(self, ctx: Ctx, step: str) -> Run:
        """The sender's run, which must be waiting at `step`; otherwise the button is stale."""
        run = await self._current(ctx)
        if run is None or run.step != step:
            raise StaleButton()
        return run

    async def advance(self, ctx: Ctx, run: Run, data: Mapping[str, Any]) -> None:
        """`run`'s step is answered with `data`: ask the next one, or end the flow."""
        flow = self.flows[run.flow]
        step = flow.step(run.step)
        assert step is not None, "a Run comes from _current, which checks its step"
        await self._enter(ctx, flow, flow.after(step, data), dict(data), answered=True)

    async def stay(self, ctx: Ctx, run: Run, data: Mapping[str, Any]) -> None:
        """Keep `run` at its step with new `data` (a toggle) and ask the step again."""
        flow = self.flows[run.flow]
        step = flow.step(run.step)
        assert step is not None, "a Run comes from _current, which checks its step"
        await self._save(ctx, flow, step.name, dict(data))
        await step.ask(ctx, dict(data))

    async def on_input(self, ctx: Ctx) -> None:
        """Text, a contact or a photo while a flow waits: the current step's handler takes it."""
        run = await self._current(ctx)
        if run is None:
            # Expired, or its step was renamed by a deploy while the person stood at it: the
            # next /start begins afresh instead of finding a run nothing can answer.
            await leave(ctx)
            ctx.reply("hint_help")
            return
        flow = self.flows[run.flow]
        step = flow.step(run.step)
        assert step is not None, "_current checked the step"
        incoming, data = ctx.incoming, dict(run.data)
        answered: Data | Keep | None = None
        if incoming.contact is not None and step.on_contact is not None:
            answered = await step.on_contact(ctx, data, incoming.contact)
        elif incoming.photo is not None and step.on_photo is not None:
            answered = await step.on_photo(ctx, data, incoming.photo, incoming.text)
        elif incoming.text and step.on_text is not None:
            answered = await step.on_text(ctx, data, incoming.text)
        if answered is None:
            ctx.reply(flow.nudge, step=step.name)
            return
        if isinstance(answered, Keep):
            await self._save(ctx, flow, step.name, dict(answered.data))
            return
        await self.advance(ctx, run, answered)

    async def _current(self, ctx: Ctx) -> Run | None:
        convo = await current_conversation(
            ctx.session, ctx.incoming.chat.id, _user(ctx), ctx.clock.now()
        )
        flow = self.flows.get(convo.name) if convo is not None else None
        if convo is None or flow is None or flow.step(convo.step) is None:
            return None
        return Run(convo.name, convo.step, dict(convo.data))

    async def _enter(
        self, ctx: Ctx, flow: Flow, target: str, data: Data, *, answered: bool = False
    ) -> None:
        """Ask `target` or, if skipped, what follows it; past the end, finish the run."""
        for _ in flow.steps:
            if target == END:
                break
            step = flow.step(target)
            assert step is not None, "flow() checked every step name"
            if step.skip is not None and step.skip(data):
                target = flow.after(step, data)
                continue
            await self._save(ctx, flow, step.name, data)
            if await step.ask(ctx, data) is False:
                break
            return
        else:
            if target != END:
                raise RuntimeError(f"flow {flow.name} skips steps in a circle")
        await leave(ctx)
        if answered and flow.on_done is not None:
            await flow.on_done(ctx, flow.name, data)

    async def _save(self, ctx: Ctx, flow: Flow, step: str, data: Data) -> None:
        await set_conversation(
            ctx.session,
            ctx.incoming.chat.id,
            _user(ctx),
            flow.name,
            step,
            data,
            ctx.clock.now(),
            flow.ttl,
        )


def _user(ctx: Ctx) -> int:
    # The dispatcher routes no update without a person to a handler, so a sender is always there.
    assert ctx.incoming.sender is not None
    return ctx.incoming.sender.id
