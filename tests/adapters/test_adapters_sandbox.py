"""Both adapters against the local Bot API sandbox: updates in, calls out, errors translated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.adapters import Adapter
from bot.adapters.aiogram import AiogramAdapter
from bot.adapters.ptb import PtbAdapter
from bot.context import Button, Contact, ContactRequest, Incoming, Keyboard
from bot.polling import Accept, Poller
from bot.transport import BadRequest, Forbidden, RetryAfter
from sandbox.client import People
from sandbox.server import SANDBOX_TOKEN, SandboxServer
from sandbox.world import _png


@dataclass
class Rig:
    """A sandbox, its people, a started adapter polled by Linli's loop, and what it parsed."""

    people: People
    adapter: Adapter
    received: asyncio.Queue[Incoming] = field(default_factory=asyncio.Queue)
    accept: Accept | None = None  # replaces storing the batch when set

    async def store(self, batch: Sequence[dict[str, Any]]) -> None:
        """What the poller hands each batch to: parse every update with the framework."""
        if self.accept is not None:
            await self.accept(batch)
        for raw in batch:
            incoming = self.adapter.parse(raw)
            if incoming is not None:
                await self.received.put(incoming)

    async def next(self, match: Callable[[Incoming], bool]) -> Incoming:
        """The next parsed update that matches (skipping others)."""
        async with asyncio.timeout(5):
            while True:
                incoming = await self.received.get()
                if match(incoming):
                    return incoming


@pytest.fixture(params=[PtbAdapter, AiogramAdapter], ids=["ptb", "aiogram"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """A fresh sandbox and the parametrised adapter, polled by Linli's Poller."""
    server = SandboxServer()
    root = await server.start()
    people = People(root)
    rig = Rig(people, request.param(SANDBOX_TOKEN, root))
    await rig.adapter.start()
    await rig.adapter.use_polling()
    poller = Poller(rig.adapter.fetch_updates, rig.store)
    poller.start()
    try:
        yield rig
    finally:
        started = time.monotonic()
        await poller.stop()
        await rig.adapter.stop()
        stop_seconds = time.monotonic() - started
        await people.close()
        await server.stop()
        assert stop_seconds < 3, "stop() must not wait out the long poll"


async def test_updates_arrive_as_incoming(rig: Rig) -> None:
    people, bot_name = rig.people, rig.adapter.client.bot_username
    assert bot_name
    alice = await people.add_user("Wang Fang")
    await people.say(alice, alice, "/start gb_1")
    start = await rig.next(lambda i: i.command == "start")
    assert (start.chat.id, start.chat.type, start.args) == (alice, "private", "gb_1")
    assert start.sender is not None and start.sender.id == alice

    group = await people.add_group("Building 1", creator_id=alice)
    await people.say(alice, group, f"/bind@{bot_name} Building 1")
    bind = await rig.next(lambda i: i.command == "bind")
    assert (bind.chat.id, bind.chat.is_group, bind.args) == (group, True, "Building 1")
    assert bind.chat.title == "Building 1"

    await people.share_contact(alice, "+8613800000000")
    shared = await rig.next(lambda i: i.contact is not None)
    assert shared.contact == Contact("+8613800000000", alice)
    assert shared.chat.id == alice


async def test_keyboard_tap_reply_and_edit(rig: Rig) -> None:
    people, client = rig.people, rig.adapter.client
    alice = await people.add_user("Wang Fang")
    group = await people.add_group("Building 1", creator_id=alice)
    keyboard = Keyboard.of([Button("+1", data="gb:join:1:A")])
    card = await client.send_message(group, "<b>Card</b> v1", keyboard, None)

    await people.tap(alice, group, card, "gb:join:1:A")
    tap = await rig.next(lambda i: i.callback_id is not None)
    assert (tap.chat.id, tap.message_id, tap.callback_data) == (group, card, "gb:join:1:A")
    assert tap.sender is not None and tap.sender.id == alice
    await client.answer_callback(tap.callback_id, "Joined", False)
    [answer] = await people.answers(tap.callback_id)
    assert (answer["text"], answer["show_alert"]) == ("Joined", False)

    await people.say(alice, group, "A2 B1", reply_to=card)
    reply = await rig.next(lambda i: i.reply_to is not None)
    assert reply.reply_to.message_id == card and reply.reply_to.from_this_bot
    assert reply.text == "A2 B1" and reply.command is None

    await client.edit_message(group, card, "<b>Card</b> v2", keyboard)
    shown = await people.bot_messages(group)
    assert [m["text"] for m in shown if m["message_id"] == card] == ["<b>Card</b> v2"]
    with pytest.raises(BadRequest) as same:
        await client.edit_message(group, card, "<b>Card</b> v2", keyboard)
    assert same.value.not_modified

    thanks = await client.send_message(group, "Thanks", None, reply_to=card)
    [shown] = [m for m in await people.bot_messages(group) if m["message_id"] == thanks]
    assert shown["reply_to_message_id"] == card


async def test_private_markup_documents_and_commands(rig: Rig) -> None:
    people, client = rig.people, rig.adapter.client
    alice = await people.add_user("Wang Fang")
    await people.say(alice, alice, "/start")
    await rig.next(lambda i: i.command == "start")
    assert await client.send_message(alice, "Phone?", ContactRequest("Share", "Skip"), None)
    doc = await client.send_document(alice, "report.csv", b"a,b\n1,2\n", "<i>Report</i>")
    [sent] = [m for m in await people.bot_messages(alice) if m["message_id"] == doc]
    assert sent["document"]["file_name"] == "report.csv" and sent["caption"] == "<i>Report</i>"
    assert await people.file(sent["document"]["file_id"]) == b"a,b\n1,2\n"
    await client.set_commands("private", "en", [("start", "Start"), ("tasks", "Open tasks")])
    await client.set_commands("group", None, [("bind", "Bind this group")])
    assert len(await people.calls("setMyCommands")) == 2


async def test_photos_in_and_out_by_file_id(rig: Rig) -> None:
    people, client = rig.people, rig.adapter.client
    alice = await people.add_user("Wang Fang")
    sent = await people.send_photo(alice, alice, "处方")
    largest = sent["photo"][-1]["file_id"]
    photo = await rig.next(lambda i: i.photo is not None)
    assert (photo.photo, photo.text, photo.chat.id) == (largest, "处方", alice)
    await people.send_photo(alice, alice)
    bare = await rig.next(lambda i: i.photo is not None)
    assert bare.text is None

    keyboard = Keyboard.of([Button("Done", data="hp:done:1")])
    message_id = await client.send_photo(alice, largest, "<b>H-1</b> 1/1", keyboard)
    [shown] = [m for m in await people.bot_messages(alice) if m["message_id"] == message_id]
    assert shown["photo"]["file_id"] == largest and shown["caption"] == "<b>H-1</b> 1/1"
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "hp:done:1"
    assert await client.send_photo(alice, largest, None, None)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await client.send_photo(alice, "AgACAgNoSuchPhoto", None, None)


async def test_a_drawn_picture_is_uploaded_as_a_photo(rig: Rig) -> None:
    """upload_photo: the PNG bytes arrive as a photo with its caption; non-pictures are refused."""
    people, client = rig.people, rig.adapter.client
    alice = await people.add_user("Wang Fang")
    await people.say(alice, alice, "/start")
    await rig.next(lambda i: i.command == "start")
    png = _png(3, 2, (10, 20, 30))
    message_id = await client.upload_photo(alice, "chart.png", png, "<b>报告</b>")
    [shown] = [m for m in await people.bot_messages(alice) if m["message_id"] == message_id]
    assert shown["caption"] == "<b>报告</b>" and shown["photo"]["sizes"][-1]["width"] == 3
    assert await people.file(shown["photo"]["file_id"]) == png
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await client.upload_photo(alice, "chart.png", b"not a picture", None)


async def test_errors_are_translated(rig: Rig) -> None:
    people, client = rig.people, rig.adapter.client
    alice = await people.add_user("Wang Fang")
    stranger = await people.add_user("Li Lei")
    group = await people.add_group("Building 1", creator_id=alice)

    with pytest.raises(Forbidden):
        await client.send_message(stranger, "hello", None, None)

    await people.fault("sendMessage", error_code=429, retry_after=2)
    with pytest.raises(RetryAfter) as slow:
        await client.send_message(group, "hello", None, None)
    assert slow.value.seconds == 2.0
    assert await client.send_message(group, "hello again", None, None)

    assert await client.member_status(group, alice) == "creator"


async def test_a_batch_that_could_not_be_stored_is_stored_again(rig: Rig) -> None:
    failures = 0

    async def flaky(batch: Sequence[dict[str, Any]]) -> None:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise RuntimeError("database away")

    rig.accept = flaky
    alice = await rig.people.add_user("Wang Fang")
    await rig.people.say(alice, alice, "first")
    assert (await rig.next(lambda i: i.text is not None)).text == "first"
    await rig.people.say(alice, alice, "second")
    assert (await rig.next(lambda i: i.text is not None)).text == "second"
    assert failures == 1


async def test_polling_survives_server_errors(rig: Rig) -> None:
    alice = await rig.people.add_user("Wang Fang")
    await rig.people.fault("getUpdates", error_code=502, retry_after=None, count=2)
    await rig.people.say(alice, alice, "first")
    await rig.people.say(alice, alice, "second")
    texts = {(await rig.next(lambda i: i.text is not None)).text for _ in range(2)}
    assert texts == {"first", "second"}
    assert [c["error_code"] for c in await rig.people.calls("getUpdates")].count(502) == 2
