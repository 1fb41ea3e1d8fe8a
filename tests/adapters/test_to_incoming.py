"""Telegram JSON → Incoming, for both adapters, without a network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiogram.types import Update as AgUpdate
from telegram import Update as PtbUpdate

from bot.adapters.translate import to_incoming
from bot.context import Chat, Contact, Incoming, ReplyTo, Sender

BOT_ID = 7000
BOT_NAME = "linli_sandbox_bot"
ALICE = {
    "id": 101,
    "is_bot": False,
    "first_name": "Alice",
    "last_name": "Li",
    "username": "alice",
    "language_code": "en",
}
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Linli", "username": BOT_NAME}
PRIVATE = {"id": 101, "type": "private", "first_name": "Alice"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Building 1"}


def _ptb(raw: dict[str, Any]) -> Incoming | None:
    return to_incoming(PtbUpdate.de_json(raw, None), BOT_ID, BOT_NAME)


def _aiogram(raw: dict[str, Any]) -> Incoming | None:
    return to_incoming(AgUpdate.model_validate(raw), BOT_ID, BOT_NAME)


@pytest.fixture(params=[_ptb, _aiogram], ids=["ptb", "aiogram"])
def convert(request: pytest.FixtureRequest) -> Callable[[dict[str, Any]], Incoming | None]:
    return request.param


def message(text: str | None = None, *, chat=PRIVATE, sender=ALICE, **extra: Any) -> dict:
    body = {"message_id": 5, "date": 1700000000, "chat": chat, **extra}
    if sender is not None:
        body["from"] = sender
    if text is not None:
        body["text"] = text
    return {"update_id": 42, "message": body}


def test_private_start(convert) -> None:
    assert convert(message("/start")) == Incoming(
        update_id=42,
        chat=Chat(101, "private", None),
        sender=Sender(101, "Alice Li", "alice", "en", False),
        message_id=5,
        text="/start",
        command="start",
        args="",
    )


def test_deep_link_payload(convert) -> None:
    got = convert(message("/start gb_42"))
    assert (got.command, got.args) == ("start", "gb_42")


def test_group_command_addressed_to_us(convert) -> None:
    got = convert(message("/bind@linli_sandbox_bot  Building 1 ", chat=GROUP))
    assert got.chat == Chat(-1001, "supergroup", "Building 1")
    assert (got.command, got.args) == ("bind", "Building 1")


def test_command_case_and_newline(convert) -> None:
    got = convert(message("/Tasks@LINLI_Sandbox_Bot\nopen now", chat=GROUP))
    assert (got.command, got.args) == ("tasks", "open now")


def test_command_for_another_bot_is_dropped(convert) -> None:
    assert convert(message("/bind@other_bot Building 1", chat=GROUP)) is None


@pytest.mark.parametrize("text", ["hello", "/", "/ start", "/start-now", "A2 B1"])
def test_plain_text_has_no_command(convert, text: str) -> None:
    got = convert(message(text))
    assert (got.text, got.command, got.args) == (text, None, "")


def test_caption_is_text_but_never_a_command(convert) -> None:
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    got = convert(message(photo=photo, caption="/start x"))
    assert (got.text, got.command) == ("/start x", None)


SIZES = [  # as Telegram lists a photo's sizes: smallest first
    {"file_id": f"AgAC{w}", "file_unique_id": f"u{w}", "width": w, "height": w * 3 // 4}
    for w in (90, 320, 800, 1280)
]


def test_a_photo_is_its_largest_size_and_its_caption_is_the_text(convert) -> None:
    got = convert(message(photo=SIZES, caption="药盒"))
    assert (got.photo, got.text, got.command) == ("AgAC1280", "药盒", None)


def test_a_photo_without_caption_still_arrives(convert) -> None:
    got = convert(message(photo=list(reversed(SIZES))))  # the order is not promised
    assert (got.photo, got.text) == ("AgAC1280", None)


def test_text_messages_carry_no_photo(convert) -> None:
    assert convert(message("hello")).photo is None


def test_reply_to_our_message(convert) -> None:
    card = {"message_id": 3, "date": 1700000000, "chat": GROUP, "from": BOT_USER, "text": "Card"}
    got = convert(message("A2 B1", chat=GROUP, reply_to_message=card))
    assert got.reply_to == ReplyTo(3, BOT_ID, True, "Card", "Linli")


def test_reply_to_a_person(convert) -> None:
    other = {
        "message_id": 4,
        "date": 1700000000,
        "chat": GROUP,
        "from": ALICE,
        "caption": "pic",
        "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
    }
    got = convert(message("nice", chat=GROUP, reply_to_message=other))
    assert got.reply_to == ReplyTo(4, 101, False, "pic", "Alice Li")


def test_shared_contact(convert) -> None:
    contact = {"phone_number": "+8613800000000", "first_name": "Alice", "user_id": 101}
    got = convert(message(contact=contact))
    assert got.contact == Contact("+8613800000000", 101)
    assert got.text is None and got.command is None


def test_anonymous_admin_has_no_sender(convert) -> None:
    anon = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    got = convert(message("/bind Building 1", chat=GROUP, sender=anon, sender_chat=GROUP))
    assert got.sender is None and got.command == "bind"


def test_message_without_from(convert) -> None:
    assert convert(message("hi", chat=GROUP, sender=None)).sender is None


def test_service_message_is_dropped(convert) -> None:
    assert convert(message(chat=GROUP, new_chat_members=[ALICE])) is None


def test_button_tap(convert) -> None:
    raw = {
        "update_id": 43,
        "callback_query": {
            "id": "cb1",
            "from": ALICE,
            "chat_instance": "ci",
            "data": "gb:join:42:A",
            "message": {
                "message_id": 9,
                "date": 1700000000,
                "chat": GROUP,
                "from": BOT_USER,
                "text": "Card",
            },
        },
    }
    assert convert(raw) == Incoming(
        update_id=43,
        chat=Chat(-1001, "supergroup", "Building 1"),
        sender=Sender(101, "Alice Li", "alice", "en", False),
        message_id=9,
        callback_id="cb1",
        callback_data="gb:join:42:A",
    )


def test_tap_on_inaccessible_message(convert) -> None:
    raw = {
        "update_id": 44,
        "callback_query": {
            "id": "cb2",
            "from": ALICE,
            "chat_instance": "ci",
            "data": "x",
            "message": {"message_id": 1, "date": 0, "chat": GROUP},
        },
    }
    got = convert(raw)
    assert (got.chat.id, got.message_id, got.callback_data) == (-1001, 1, "x")


def test_tap_on_inline_message_is_dropped(convert) -> None:
    raw = {
        "update_id": 45,
        "callback_query": {
            "id": "cb3",
            "from": ALICE,
            "chat_instance": "ci",
            "inline_message_id": "im",
            "data": "x",
        },
    }
    assert convert(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        {"update_id": 1, "edited_message": message("x")["message"]},
        {
            "update_id": 2,
            "channel_post": message(
                "x", chat={"id": -100, "type": "channel", "title": "C"}, sender=None
            )["message"],
        },
    ],
    ids=["edited", "channel_post"],
)
def test_other_updates_are_dropped(convert, raw: dict) -> None:
    assert convert(raw) is None


def member_change(old: str, new: str, *, user=BOT_USER, chat=GROUP) -> dict:
    """A my_chat_member update: Alice changed `user`'s status in the chat."""
    body = {
        "chat": chat,
        "from": ALICE,
        "date": 1700000000,
        "old_chat_member": {"status": old, "user": user},
        "new_chat_member": {"status": new, "user": user},
    }
    if new == "kicked":
        body["new_chat_member"]["until_date"] = 0
    return {"update_id": 43, "my_chat_member": body}


def test_bot_added_to_a_group(convert) -> None:
    assert convert(member_change("left", "member")) == Incoming(
        update_id=43,
        chat=Chat(-1001, "supergroup", "Building 1"),
        sender=Sender(101, "Alice Li", "alice", "en", False),
        joined_group=True,
    )


@pytest.mark.parametrize(("old", "new"), [("member", "left"), ("member", "kicked")])
def test_bot_leaving_a_group_is_not_a_join(convert, old: str, new: str) -> None:
    assert convert(member_change(old, new)) is None
