"""The privacy sweep: what the bot posts in a group must never expose a neighbour.

A group is semi-public (anyone in the building, and whoever they add), so a phone number, a
pickup code (which collects someone's goods at the gate) or a name beside a room number (who
lives where) must stay in private chats. The e2e conftest runs `group_leaks` after every test.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.base import reading
from models.care import CareResident
from models.groupbuy import GroupBuyOrder
from models.help_requests import HelpRequest
from models.people import Household, Person
from sandbox.world import BOT_ID, World

# A mainland mobile number, optionally with +86 and the usual 3-4-4 grouping.
MAINLAND_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
HELP_TEXT_MIN = 4  # shorter words ("药") could appear in any message by chance
NAME_TO_ROOM = 20  # characters between a name and a room label that still read as "lives there"
_TAG = re.compile(r"<[^>]+>")
_DIGIT_GAP = re.compile(r"(?<=\d)[ \-]+(?=\d)")


@dataclass(frozen=True, slots=True)
class Secrets:
    """What the database knows that a group must not see."""

    phones: frozenset[str] = frozenset()
    pickup_codes: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    room_labels: frozenset[str] = frozenset()
    # What residents wrote when asking for help (and what they added later).
    help_texts: frozenset[str] = frozenset()
    # A vulnerable resident's name is a leak anywhere in a group, room or not (重点人群).
    care_names: frozenset[str] = frozenset()
    # The file_ids of photos residents sent with their requests.
    help_photos: frozenset[str] = frozenset()


async def secrets_in(sessions: async_sessionmaker[AsyncSession]) -> Secrets:
    """Every phone, pickup code, display name, household label and care resident stored now."""
    async with reading(sessions) as session:
        people = (await session.execute(select(Person.phone, Person.display_name))).all()
        codes = await session.scalars(
            select(GroupBuyOrder.pickup_code).where(GroupBuyOrder.pickup_code.is_not(None))
        )
        households = await session.scalars(select(Household))
        help_texts, help_photos = set(), set()
        for description, additions, photos in (
            await session.execute(
                select(HelpRequest.description, HelpRequest.additions, HelpRequest.photos)
            )
        ).all():
            help_texts |= {description, *(a["text"] for a in additions)}
            help_photos |= set(photos)
        cared = list(await session.scalars(select(CareResident)))
        return Secrets(
            phones=frozenset(phone for phone, _ in people if phone),
            pickup_codes=frozenset(c for c in codes if c),
            names=frozenset(name.strip() for _, name in people if name and name.strip()),
            room_labels=frozenset(h.label for h in households) | {c.label for c in cared},
            help_texts=frozenset(t for t in help_texts if len(t.strip()) >= HELP_TEXT_MIN),
            care_names=frozenset(c.name for c in cared),
            help_photos=frozenset(help_photos),
        )


def _standalone(token: str) -> re.Pattern[str]:
    """`token` not glued to a longer number, word, price, time, date or room ("3-502")."""
    return re.compile(r"(?<![0-9A-Za-z#¥.:/\-])" + re.escape(token) + r"(?![0-9A-Za-z]|[.:/\-]\d)")


def _name_pattern(name: str) -> re.Pattern[str]:
    """A name as a whole word when it is Latin ("Tom" is not in "Tomorrow")."""
    edge = r"(?<![A-Za-z])" if name[:1].isascii() else ""
    tail = r"(?![A-Za-z])" if name[-1:].isascii() else ""
    return re.compile(edge + re.escape(name) + tail)


def _phone_needles(phone: str) -> set[str]:
    digits = re.sub(r"\D", "", phone)
    needles = {digits} if len(digits) >= 7 else set()
    if digits.startswith("86") and len(digits) == 13:
        needles.add(digits[2:])  # written without the country code
    return needles


def leaks(text: str, secrets: Secrets) -> list[str]:
    """Why `text` (a group message, HTML or plain) must not be posted; empty if it is fine."""
    visible = html.unescape(_TAG.sub(" ", text))
    found: list[str] = []
    joined = _DIGIT_GAP.sub("", text)
    for phone in sorted(secrets.phones):
        if any(needle in joined for needle in _phone_needles(phone)):
            found.append(f"phone {phone}")
    found += [f"mobile number {m.group(0)}" for m in MAINLAND_MOBILE.finditer(text)]
    for code in sorted(secrets.pickup_codes):
        # A code that is also a room label ("1201") cannot be told apart from the room.
        if code not in secrets.room_labels and _standalone(code).search(text):
            found.append(f"pickup code {code}")
    found += [f"help request text {t[:30]!r}" for t in sorted(secrets.help_texts) if t in visible]
    found += [
        f"vulnerable resident {name!r}"
        for name in sorted(secrets.care_names)
        if _name_pattern(name).search(visible)
    ]
    found += [
        f"name {name!r} next to room {label}"
        for name, label in _names_by_rooms(visible, secrets.names, secrets.room_labels)
    ]
    return found


def _names_by_rooms(
    text: str, names: Iterable[str], labels: Iterable[str]
) -> Iterator[tuple[str, str]]:
    rooms = [(label, m.span()) for label in labels for m in _standalone(label).finditer(text)]
    if not rooms:
        return
    for name in sorted(names):
        for match in _name_pattern(name).finditer(text):
            start, end = match.span()
            for label, (room_start, room_end) in rooms:
                if max(room_start - end, start - room_end, 0) <= NAME_TO_ROOM:
                    yield name, label
                    break
            else:
                continue
            break


def group_messages(world: World) -> Iterator[tuple[int, int, str]]:
    """(chat, message id, text) of everything the bot shows in groups: text, captions, buttons."""
    for chat_id in world.groups:
        for message in world.messages.get(chat_id, []):
            if message.from_id != BOT_ID:
                continue
            buttons = [
                f"{button.get('text', '')} {button.get('url', '')}"
                for row in (message.reply_markup or {}).get("inline_keyboard", [])
                for button in row
            ]
            parts = [message.text, message.caption, *buttons]
            yield chat_id, message.message_id, "\n".join(p for p in parts if p)


def group_photo_leaks(world: World, secrets: Secrets) -> Iterator[str]:
    """Group messages by the bot that show a photo a resident sent with a help request."""
    for chat_id in world.groups:
        for message in world.messages.get(chat_id, []):
            shown = {size.file_id for size in message.photo or ()}
            if message.from_id == BOT_ID and shown & secrets.help_photos:
                yield f"chat {chat_id} message {message.message_id}: a help request's photo"


def group_leaks(world: World, secrets: Secrets) -> list[str]:
    """Every leak in every group message, described for a failing test."""
    return [
        f"chat {chat} message {message_id}: {reason}\n    {text!r}"
        for chat, message_id, text in group_messages(world)
        for reason in leaks(text, secrets)
    ] + list(group_photo_leaks(world, secrets))
