"""Photos: kept on a help request, queued in the outbox by file_id, taken by a wizard step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import ManualClock
from bot.context import Button, Ctx, Emitter, Keyboard, Markup, Outgoing, markup_from_dict
from bot.delivery import Delivery
from bot.settings import Settings
from bot.transport import BadRequest, Forbidden
from bot.wizard import Keep
from models import errors
from models.help_requests import MAX_PHOTOS, HelpRequest, add_photo, forget_requests
from models.outbox import FAILED, SENT, OutboxMessage, enqueue
from models.people import ensure_person
from tests.unit.test_help_requests import NOW, _file, _world
from tests.unit.test_wizard import Script, TemplateNames, replies

Sessions = async_sessionmaker[AsyncSession]
VOLUNTEER = 777
PHOTO = "AgACAgSandbox000004"
WANG = 1  # her Telegram id in test_help_requests' world

# -- the request keeps file_ids ----------------------------------------------------------------


def test_a_photo_sent_twice_is_kept_once_and_at_most_ten_are_kept() -> None:
    assert add_photo(["a"], "a") == ["a"]
    assert add_photo(["a"], "b") == ["a", "b"]
    full = [f"p{i}" for i in range(MAX_PHOTOS)]
    with pytest.raises(errors.TooManyPhotos):
        add_photo(full, "one more")


async def test_a_request_keeps_its_photos_and_forgetting_scrubs_them(sessions: Sessions) -> None:
    async with sessions() as s, s.begin():
        p = await _world(s)
        with_photos = await _file(s, p["wang"], photos=["AgAC1", "AgAC2", "AgAC1"])  # type: ignore[arg-type]
        without = await _file(s, p["wang"], category="food")
    async with sessions() as s, s.begin():
        assert (await s.get(HelpRequest, with_photos)).photos == ["AgAC1", "AgAC2"]  # type: ignore[union-attr]
        assert (await s.get(HelpRequest, without)).photos == []  # type: ignore[union-attr]
        # A file_id opens the picture to anyone holding it: /forgetme drops it with the words.
        await forget_requests(s, await ensure_person(s, WANG, "wang", NOW), NOW)
    async with sessions() as s:
        assert (await s.get(HelpRequest, with_photos)).photos == []  # type: ignore[union-attr]


# -- the outbox and delivery -------------------------------------------------------------------


@dataclass
class PhotoTelegram:
    """A BotClient that records photos sent, or refuses them with the queued errors."""

    bot_username: str = "linli_bot"
    photos: list[tuple[int, str, str | None, Markup]] = field(default_factory=list)
    refusals: list[Exception] = field(default_factory=list)
    uploads: list[tuple[int, str, bytes, str | None]] = field(default_factory=list)

    async def send_photo(self, chat_id: int, file_id: str, caption: str | None, markup: Markup):  # type: ignore[no-untyped-def]
        if self.refusals:
            raise self.refusals.pop(0)
        self.photos.append((chat_id, file_id, caption, markup))
        return 100 + len(self.photos)

    async def upload_photo(self, chat_id: int, filename: str, data: bytes, caption: str | None):  # type: ignore[no-untyped-def]
        self.uploads.append((chat_id, filename, data, caption))
        return 200 + len(self.uploads)


def _emitter(session: AsyncSession) -> Emitter:
    return Emitter(
        session=session,
        lang="en",
        clock=ManualClock(NOW),
        settings=Settings(),
        texts=TemplateNames(),  # type: ignore[arg-type]
        api=None,  # type: ignore[arg-type]
    )


def test_send_photo_queues_the_file_id_caption_and_buttons() -> None:
    emitter = _emitter(None)  # type: ignore[arg-type]
    keyboard = Keyboard.of([Button("Done", data="hp:done:1")])
    emitter.send_photo(VOLUNTEER, PHOTO, "help/photo_caption", markup=keyboard, ref="H-1")
    emitter.send_photo(VOLUNTEER, PHOTO)
    captioned, bare = emitter.outgoing
    assert (captioned.kind, captioned.chat_id, captioned.photo) == ("photo", VOLUNTEER, PHOTO)
    payload = captioned.payload()
    assert payload["photo"] == PHOTO and payload["text"] == "help/photo_caption"
    assert markup_from_dict(payload["markup"]) == keyboard
    assert bare.payload() == {"text": None, "photo": PHOTO}


@pytest.fixture
async def delivered(sessions: Sessions) -> AsyncIterator[tuple[Delivery, PhotoTelegram]]:
    telegram = PhotoTelegram()
    delivery = Delivery(sessions, telegram)  # type: ignore[arg-type]
    delivery.start()
    try:
        yield delivery, telegram
    finally:
        await delivery.stop()


async def _queue(sessions: Sessions, delivery: Delivery, *actions: Outgoing) -> None:
    async with sessions() as session, session.begin():
        await enqueue(session, list(actions), NOW)
    delivery.wake({VOLUNTEER})
    await delivery.idle(within=10)


async def _statuses(sessions: Sessions) -> list[tuple[str, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.status, OutboxMessage.error).order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_a_queued_photo_is_sent_by_its_file_id(sessions: Sessions, delivered) -> None:  # type: ignore[no-untyped-def]
    delivery, telegram = delivered
    keyboard = Keyboard.of([Button("Done", data="hp:done:1")])
    await _queue(
        sessions,
        delivery,
        Outgoing("photo", chat_id=VOLUNTEER, text="<b>H-1</b>", markup=keyboard, photo=PHOTO),
    )
    assert telegram.photos == [(VOLUNTEER, PHOTO, "<b>H-1</b>", keyboard)]
    assert await _statuses(sessions) == [(SENT, None)]


async def test_a_drawn_picture_is_uploaded_from_the_outbox(sessions: Sessions, delivered) -> None:  # type: ignore[no-untyped-def]
    """send_picture: the bytes wait in the outbox and go up as a photo, never by a file_id."""
    delivery, telegram = delivered
    emitter = _emitter(None)  # type: ignore[arg-type]
    emitter.send_picture(VOLUNTEER, "chart.png", b"\x89PNG-bytes", caption="reports/chart_caption")
    [queued] = emitter.outgoing
    assert queued.payload() == {"text": "reports/chart_caption", "filename": "chart.png"}
    await _queue(sessions, delivery, queued)
    assert telegram.uploads == [(VOLUNTEER, "chart.png", b"\x89PNG-bytes", "reports/chart_caption")]
    assert telegram.photos == [] and await _statuses(sessions) == [(SENT, None)]


async def test_a_refused_photo_is_recorded_and_a_403_marks_the_person_unreachable(
    sessions: Sessions,
    delivered,  # type: ignore[no-untyped-def]
) -> None:
    delivery, telegram = delivered
    async with sessions() as session, session.begin():
        person = await ensure_person(session, VOLUNTEER, "Sarah", NOW)
        person.started_private = True
    telegram.refusals = [
        BadRequest("wrong file identifier/HTTP URL specified"),
        Forbidden("bot was blocked by the user"),
    ]
    photo = Outgoing("photo", chat_id=VOLUNTEER, photo=PHOTO)
    await _queue(sessions, delivery, photo, photo)
    statuses = await _statuses(sessions)
    assert [status for status, _ in statuses] == [FAILED, FAILED]
    assert "wrong file identifier" in (statuses[0][1] or "")
    async with sessions() as session:
        person = await ensure_person(session, VOLUNTEER, "Sarah", NOW)
        assert person.started_private is False


# -- the wizard's photo handler ------------------------------------------------------------------


async def _photo(script: Script, file_id: str, caption: str | None = None) -> Ctx:
    async def send(ctx: Ctx) -> None:
        await script.wizards.on_input(ctx)

    return await script.update(send, text=caption, photo=file_id)


async def test_a_photo_step_keeps_moves_on_or_nudges(sessions: Sessions) -> None:
    async def take(
        ctx: Ctx, data: dict[str, Any], photo: str, caption: str | None
    ) -> dict[str, Any] | Keep | None:
        if photo == "bad":
            return None
        kept = {**data, "photos": [*data.get("photos", []), photo]}
        return {**kept, "words": caption} if caption else Keep(kept)

    script = Script(sessions)
    script.wizards.flow("f", [script.step("words", on_photo=take), script.step("after")])
    await script.begin("f")

    assert replies(await _photo(script, "bad")) == ["nudge"]
    assert replies(await _photo(script, "p1")) == []
    stored = await script.stored()
    assert stored is not None and (stored.step, stored.data["photos"]) == ("words", ["p1"])
    await _photo(script, "p2", "药盒")
    assert script.steps_asked == ["words", "after"]
    assert script.asked[-1][1]["photos"] == ["p1", "p2"]
    assert script.asked[-1][1]["words"] == "药盒"


async def test_without_a_photo_handler_a_caption_is_text_and_a_bare_photo_is_nudged(
    sessions: Sessions,
) -> None:
    script = Script(sessions)
    script.wizards.flow("f", [script.step("words"), script.step("after")])
    await script.begin("f")

    assert replies(await _photo(script, "p1")) == ["nudge"]
    await _photo(script, "p2", "words in a caption")
    assert script.asked[-1] == ("after", {"run": 1, "words": "words in a caption"})
