"""The wizard engine on a migrated database: step order, skips, refusals, expiry, endings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.context import Chat, Contact, Ctx, Incoming, Sender
from bot.refusals import StaleButton
from bot.routing import Router
from bot.settings import Settings
from bot.wizard import END, Step, Wizards
from models.conversations import Conversation, set_conversation
from models.errors import InvalidRoom

PERSON = 4242


class TemplateNames:
    """Renders a message as its template's name, so tests read what was said."""

    def render(self, lang: str, template: str, **values: Any) -> str:
        return template

    def label(self, lang: str, name: str, *args: Any) -> str:
        return name


class Script:
    """A test's wizards plus a record of what the engine asked and finished."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.clock = ManualClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
        self.router = Router("test")
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.done: list[tuple[str, dict[str, Any]]] = []
        self.wizards = Wizards(self.router, nudge="nudge", on_done=self._finish)
        self.update_id = 0

    async def _finish(self, ctx: Ctx, flow: str, data: dict[str, Any]) -> None:
        self.done.append((flow, data))

    def step(self, name: str, **kwargs: Any) -> Step:
        """A step that asks by recording its name; typed text is stored under its name."""

        async def ask(ctx: Ctx, data: dict[str, Any]) -> None:
            self.asked.append((name, data))

        async def take(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any]:
            return {**data, name: text}

        kwargs.setdefault("on_text", take)
        return Step(name, ask, **kwargs)

    @property
    def steps_asked(self) -> list[str]:
        return [name for name, _ in self.asked]

    async def update(
        self,
        action: Callable[[Ctx], Awaitable[Any]],
        *,
        text: str | None = None,
        contact: Contact | None = None,
        photo: str | None = None,
    ) -> Ctx:
        """Run `action` as one update from the person, in its own committed transaction."""
        self.update_id += 1
        async with self.sessions() as session, session.begin():
            ctx = Ctx(
                incoming=Incoming(
                    update_id=self.update_id,
                    chat=Chat(PERSON, "private"),
                    sender=Sender(PERSON, "Ann"),
                    text=text,
                    contact=contact,
                    photo=photo,
                ),
                session=session,
                lang="en",
                clock=self.clock,
                settings=Settings(),
                texts=TemplateNames(),  # type: ignore[arg-type]
                api=None,  # type: ignore[arg-type]
            )
            await action(ctx)
            return ctx

    async def begin(self, flow: str, data: dict[str, Any] | None = None) -> Ctx:
        return await self.update(lambda ctx: self.wizards.begin(ctx, flow, data or {}))

    async def say(self, text: str) -> Ctx:
        return await self.update(self.wizards.on_input, text=text)

    async def stored(self) -> Conversation | None:
        async with self.sessions() as session:
            return await session.get(Conversation, (PERSON, PERSON))


def replies(ctx: Ctx) -> list[str | None]:
    return [o.text for o in ctx.outgoing]


async def test_steps_are_asked_in_order_and_the_flow_ends_after_the_last(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("a"), script.step("b"), script.step("c")])

    await script.begin("f", {"seed": 1})
    assert script.steps_asked == ["a"]
    assert (await script.stored()).step == "a"  # type: ignore[union-attr]
    await script.say("one")
    await script.say("two")
    assert script.steps_asked == ["a", "b", "c"]
    assert script.done == []
    await script.say("three")

    assert await script.stored() is None
    [(flow, data)] = script.done
    assert flow == "f"
    assert {k: data[k] for k in ("seed", "a", "b", "c")} == {
        "seed": 1,
        "a": "one",
        "b": "two",
        "c": "three",
    }


async def test_skip_rules_pass_over_steps_wherever_they_stand(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow(
        "f",
        [
            script.step("a", skip=lambda data: "a" in data),
            script.step("b"),
            script.step("c", skip=lambda data: data.get("b") == "skip c"),
            script.step("d"),
        ],
    )

    await script.begin("f", {"a": "known already"})
    assert script.steps_asked == ["b"]
    await script.say("skip c")
    assert script.steps_asked == ["b", "d"]
    assert (await script.stored()).step == "d"  # type: ignore[union-attr]


async def test_a_flow_whose_every_step_is_skipped_ends_without_a_word(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("a", skip=lambda data: True)])

    ctx = await script.begin("f")

    assert script.asked == [] and script.done == [] and replies(ctx) == []
    assert await script.stored() is None


async def test_refused_text_keeps_the_step_and_its_data(sessions) -> None:
    async def room(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any]:
        if not text.isdigit():
            raise InvalidRoom(text)
        return {**data, "room": text}

    script = Script(sessions)
    script.wizards.flow("f", [script.step("room", on_text=room), script.step("next")])
    await script.begin("f", {"kept": True})

    with pytest.raises(InvalidRoom):
        await script.say("fifth floor")

    # The dispatcher rolled the update back; the person is still asked for the room.
    await script.update(lambda ctx: script.wizards.at_step(ctx, "room"))
    assert (await script.stored()).data["kept"] is True  # type: ignore[union-attr]
    assert script.steps_asked == ["room"]
    await script.say("502")
    assert script.steps_asked == ["room", "next"]


async def test_text_a_step_does_not_take_is_nudged_and_keeps_the_step(sessions) -> None:
    async def only_skip(ctx: Ctx, data: dict[str, Any], text: str) -> dict[str, Any] | None:
        return {**data, "phone": None} if text == "Skip" else None

    script = Script(sessions)
    script.wizards.flow(
        "f",
        [
            script.step("buttons_only", on_text=None),
            script.step("phone", on_text=only_skip),
            script.step("last"),
        ],
    )
    await script.begin("f")

    assert replies(await script.say("hello")) == ["nudge"]
    assert (await script.stored()).step == "buttons_only"  # type: ignore[union-attr]

    await script.update(lambda ctx: _tap(script, ctx, "buttons_only", {"tapped": True}))
    assert replies(await script.say("my number is secret")) == ["nudge"]
    assert (await script.stored()).step == "phone"  # type: ignore[union-attr]
    await script.say("Skip")
    assert (await script.stored()).step == "last"  # type: ignore[union-attr]


async def _tap(script: Script, ctx: Ctx, step: str, answer: dict[str, Any]) -> None:
    """What a button handler does: check the step, then move on with the answer."""
    run = await script.wizards.at_step(ctx, step)
    await script.wizards.advance(ctx, run, {**run.data, **answer})


async def test_a_shared_contact_goes_to_the_steps_contact_handler(sessions) -> None:
    async def phone(ctx: Ctx, data: dict[str, Any], contact: Contact) -> dict[str, Any]:
        return {**data, "phone": contact.phone_number}

    script = Script(sessions)
    script.wizards.flow("f", [script.step("phone", on_text=None, on_contact=phone)])
    await script.begin("f")

    assert replies(await script.say("+86 138")) == ["nudge"]
    await script.update(script.wizards.on_input, contact=Contact("+8613800000000", PERSON))

    assert script.done[0][1]["phone"] == "+8613800000000"


async def test_buttons_answer_only_the_step_the_wizard_waits_at(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("a"), script.step("b")])
    await script.begin("f")

    with pytest.raises(StaleButton):
        await script.update(lambda ctx: script.wizards.at_step(ctx, "b"))
    await script.update(lambda ctx: _tap(script, ctx, "a", {"a": "tapped"}))
    with pytest.raises(StaleButton):  # a second tap on the same question
        await script.update(lambda ctx: _tap(script, ctx, "a", {"a": "again"}))
    assert script.steps_asked == ["a", "b"]


async def test_stay_keeps_the_step_and_asks_it_again_with_the_new_data(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("skills"), script.step("after")])
    await script.begin("f", {"skills": []})

    async def toggle(ctx: Ctx) -> None:
        run = await script.wizards.at_step(ctx, "skills")
        await script.wizards.stay(ctx, run, {**run.data, "skills": [*run.data["skills"], "x"]})

    await script.update(toggle)
    await script.update(toggle)

    assert script.steps_asked == ["skills", "skills", "skills"]
    assert script.asked[-1][1]["skills"] == ["x", "x"]
    assert (await script.stored()).data["skills"] == ["x", "x"]  # type: ignore[union-attr]


async def test_a_wizard_expires_after_its_time_to_live(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("a"), script.step("b")])
    script.wizards.flow("quick", [script.step("a"), script.step("b")], ttl=timedelta(minutes=5))

    await script.begin("f")
    script.clock.advance(timedelta(minutes=29))
    await script.say("just in time")  # an answer renews the expiry
    script.clock.advance(timedelta(minutes=29))
    await script.update(lambda ctx: script.wizards.at_step(ctx, "b"))
    script.clock.advance(timedelta(minutes=2))

    with pytest.raises(StaleButton):
        await script.update(lambda ctx: script.wizards.at_step(ctx, "b"))
    assert replies(await script.say("too late")) == ["hint_help"]
    assert await script.stored() is None

    await script.begin("quick")
    script.clock.advance(timedelta(minutes=5))
    assert replies(await script.say("too late")) == ["hint_help"]


async def test_a_step_may_end_the_flow_or_jump_ahead(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow(
        "f",
        [
            script.step("kind", next=lambda data: END if data["kind"] == "nothing" else "details"),
            script.step("unused"),
            script.step("details", next="confirm"),
            script.step("other"),
            script.step("confirm", next=END),
            script.step("never"),
        ],
    )

    await script.begin("f")
    await script.say("nothing")
    assert script.steps_asked == ["kind"]
    assert [flow for flow, _ in script.done] == ["f"]

    await script.begin("f")
    await script.say("a ladder")
    await script.say("tomorrow")
    await script.say("yes")
    assert script.steps_asked == ["kind", "kind", "details", "confirm"]
    assert len(script.done) == 2 and await script.stored() is None


async def test_a_step_that_cannot_be_asked_ends_the_flow(sessions) -> None:
    async def nothing_to_choose(ctx: Ctx, data: dict[str, Any]) -> bool:
        ctx.reply("nothing_yet")
        return False

    script = Script(sessions)
    script.wizards.flow("f", [script.step("a"), Step("building", nothing_to_choose)])
    script.wizards.flow("g", [Step("building", nothing_to_choose)])

    ctx = await script.begin("g")
    assert replies(ctx) == ["nothing_yet"] and script.done == []
    assert await script.stored() is None

    await script.begin("f")
    await script.say("answered")
    # Something was answered, so the run's closing line is said.
    assert [flow for flow, _ in script.done] == ["f"]
    assert await script.stored() is None


async def test_beginning_a_flow_replaces_the_one_in_progress(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("a"), script.step("b")])
    script.wizards.flow("g", [script.step("c")])
    await script.begin("f")
    await script.say("one")

    await script.begin("g")

    stored = await script.stored()
    assert (stored.name, stored.step) == ("g", "c")  # type: ignore[union-attr]
    with pytest.raises(StaleButton):
        await script.update(lambda ctx: script.wizards.at_step(ctx, "b"))


async def test_flows_are_checked_when_declared(sessions) -> None:
    script = Script(sessions)
    with pytest.raises(ValueError, match="distinct"):
        script.wizards.flow("f", [script.step("a"), script.step("a")])
    with pytest.raises(ValueError, match="no step called"):
        script.wizards.flow("f", [script.step("a", next="nowhere")])
    script.wizards.flow("f", [script.step("a")])
    assert "f" in script.router.conversations


async def test_a_run_at_a_step_the_flow_no_longer_has_is_dropped(sessions) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("a")])
    async with sessions() as session, session.begin():
        # What a run saved before a deploy renamed its step looks like.
        await set_conversation(
            session, PERSON, PERSON, "f", "renamed", {"run": 1}, script.clock.now()
        )

    with pytest.raises(StaleButton):
        await script.update(lambda ctx: script.wizards.at_step(ctx, "renamed"))
    assert replies(await script.say("hello")) == ["hint_help"]
    assert await script.stored() is None
