"""Group-buy test helpers: a bound building group with residents, the card, and the stored truth.

Residents are put straight into the database (person + household) so that a test with forty
households does not spend minutes on /register replies, which the group's 20-messages-a-minute
limit would pace. Everything they then do with the group-buy goes through the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from models.base import reading
from models.groupbuy import GroupBuy, GroupBuyItem, GroupBuyLine, GroupBuyOrder
from models.inbox import NEW, InboxUpdate
from models.people import Household, bound_building, ensure_person, register_household
from tests.e2e.conftest import BotWorld

# The example: A has a per-household limit, B a stock counter.
SPEC = """/groupbuy 蔬菜套餐
截止: 明天 18:00
A 蔬菜包 5kg | 45 | 限购 2
B 鸡蛋 30枚 | 38.5 | 库存 30
取货: 3号门, 后天 10:00"""
PRICES = {"A": 4500, "B": 3850}


def text_of(message: dict) -> str:
    """A message's text or a document's caption (HTML as sent)."""
    return message.get("text") or message.get("caption") or ""


def says(*parts: str) -> Callable[[dict], bool]:
    """A bot message containing every part."""
    return lambda m: all(p in text_of(m) for p in parts)


def buttons(message: dict) -> list[str]:
    """The callback data of every inline button under a message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def has_button(prefix: str) -> Callable[[dict], bool]:
    """A bot message with an inline button whose data starts with prefix."""
    return lambda m: any(data.startswith(prefix) for data in buttons(m))


def yuan(cents: int) -> str:
    """How the bot shows money: ¥45.00."""
    return f"¥{cents // 100}.{cents % 100:02d}"


@dataclass
class Resident:
    """A sandbox user registered in a household."""

    user_id: int
    room: str
    name: str


@dataclass
class Building:
    """A bound group, its leader and its residents."""

    group: int
    leader: int
    building_id: int
    residents: list[Resident] = field(default_factory=list)

    def of_room(self, room: str) -> list[Resident]:
        """The residents of one household."""
        return [r for r in self.residents if r.room == room]

    def first_of(self, room: str) -> Resident:
        """One resident of a household."""
        return self.of_room(room)[0]


async def building_with_residents(
    bot: BotWorld,
    households: Sequence[tuple[str, int]],
    *,
    phones: bool = False,
    leader_started: bool = True,
) -> Building:
    """A leader binds a group to 3号楼; `households` are (room, members) registered in it."""
    people = bot.people
    leader = await people.add_user("陈团长")
    residents: list[Resident] = []
    for number, (room, members) in enumerate(households):
        for member in range(members):
            name = f"住户{number:02d}{'甲乙丙'[member]}"
            residents.append(Resident(await people.add_user(name), room, name))
    group = await people.add_group(
        "3号楼邻里群", creator_id=leader, member_ids=[r.user_id for r in residents]
    )
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, group)
        for index, resident in enumerate(residents):
            person = await ensure_person(session, resident.user_id, resident.name, bot.clock.now())
            await register_household(
                session, person=person, building_id=building.id, room_text=resident.room
            )
            if phones:
                person.phone = phone_of(index)
    world = Building(group, leader, building.id, residents)
    if leader_started:
        await start_privately(bot, [leader])
    return world


def phone_of(index: int) -> str:
    """A resident's (fake) mobile number."""
    return f"+86139{index:08d}"


async def start_privately(bot: BotWorld, user_ids: Iterable[int]) -> None:
    """Each person opens the private chat (`/start me`), so Linli may write to them."""
    ids = list(user_ids)
    await asyncio.gather(*(bot.people.say(u, u, "/start me") for u in ids))
    await asyncio.gather(*(bot.people.wait_for(u, lambda m: True) for u in ids))


async def open_groupbuy(bot: BotWorld, world: Building, spec: str = SPEC) -> tuple[dict, int]:
    """The leader opens a group-buy; returns the posted card and the group-buy's id."""
    before = {m["message_id"] for m in await bot.people.bot_messages(world.group)}
    await bot.people.say(world.leader, world.group, spec)
    card = await bot.people.wait_for(
        world.group, lambda m: m["message_id"] not in before and has_button("gb:+:")(m)
    )
    match = re.match(r"gb:\+:(\d+):", buttons(card)[0])
    assert match, buttons(card)
    return card, int(match.group(1))


async def message(bot: BotWorld, chat: int, message_id: int) -> dict:
    """A message as it looks now (edits applied)."""
    found = [m for m in await bot.people.messages(chat) if m["message_id"] == message_id]
    assert found, f"no message {message_id} in chat {chat}"
    return found[0]


async def handled_updates(bot: BotWorld) -> int:
    """How many updates the bot has finished (handled or refused)."""
    async with reading(bot.sessions) as session:
        finished = select(func.count()).where(InboxUpdate.status != NEW)
        return int(await session.scalar(finished) or 0)


async def until_handled(
    bot: BotWorld, count: int, *, within: float = 30.0, settle: bool = True
) -> None:
    """Wait until at least `count` updates are finished, then (if `settle`) until all is sent.

    Settling waits for the card's held-back edit too (one per 3 s), so steps that only need the
    stored result skip it.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (done := await handled_updates(bot)) < count:
        assert loop.time() < deadline, f"only {done} of {count} updates were handled"
        await asyncio.sleep(0.05)
    if settle:
        await bot.settle()


@dataclass
class Stored:
    """A group-buy as stored: per room, confirmed and waitlisted units per item; stock left."""

    status: str
    confirmed: dict[str, dict[str, int]]
    waitlisted: dict[str, dict[str, int]]
    stock: dict[str, int | None]
    remaining: dict[str, int | None]
    orders: int
    codes: dict[str, str | None]

    def units(self, code: str) -> int:
        """Confirmed units of one item over all households."""
        return sum(q.get(code, 0) for q in self.confirmed.values())

    def waiting(self, code: str) -> int:
        """Waitlisted units of one item over all households."""
        return sum(q.get(code, 0) for q in self.waitlisted.values())

    def amount_cents(self, room: str) -> int:
        """What a household owes for its confirmed units."""
        return sum(PRICES[c] * n for c, n in self.confirmed.get(room, {}).items())


async def stored(bot: BotWorld, groupbuy_id: int) -> Stored:
    """Read the group-buy straight from its tables (not through the board the bot renders)."""
    async with reading(bot.sessions) as session:
        groupbuy = await session.get(GroupBuy, groupbuy_id)
        assert groupbuy is not None
        items = list(
            await session.scalars(
                select(GroupBuyItem).where(GroupBuyItem.groupbuy_id == groupbuy_id)
            )
        )
        rows = await session.execute(
            select(Household, GroupBuyItem.code, GroupBuyLine.quantity, GroupBuyLine.waitlisted)
            .join(GroupBuyOrder, GroupBuyOrder.household_id == Household.id)
            .join(GroupBuyLine, GroupBuyLine.order_id == GroupBuyOrder.id)
            .join(GroupBuyItem, GroupBuyItem.id == GroupBuyLine.item_id)
            .where(GroupBuyOrder.groupbuy_id == groupbuy_id)
        )
        confirmed: dict[str, dict[str, int]] = defaultdict(dict)
        waitlisted: dict[str, dict[str, int]] = defaultdict(dict)
        for household, code, quantity, waiting in rows:
            if quantity:
                confirmed[household.label][code] = quantity
            if waiting:
                waitlisted[household.label][code] = waiting
        orders = await session.execute(
            select(Household, GroupBuyOrder.pickup_code)
            .join(GroupBuyOrder, GroupBuyOrder.household_id == Household.id)
            .where(GroupBuyOrder.groupbuy_id == groupbuy_id)
        )
        codes = {household.label: code for household, code in orders}
        return Stored(
            status=groupbuy.status,
            confirmed=dict(confirmed),
            waitlisted=dict(waitlisted),
            stock={i.code: i.stock for i in items},
            remaining={i.code: i.remaining for i in items},
            orders=len(codes),
            codes=codes,
        )


def card_lines(card: dict) -> dict[str, str]:
    """The 接龙 lines of a card by room: "3-502" → "A×1 B×2 (候补 B×1)"."""
    lines = {}
    for line in text_of(card).splitlines():
        match = re.fullmatch(r"\d+\. (\S+)  (.*)", line)
        if match:
            lines[match.group(1)] = match.group(2)
    return lines


def parse_items(text: str) -> tuple[dict[str, int], dict[str, int]]:
    """ "A×1 B×2 (候补 B×1)" → ({"A": 1, "B": 2}, {"B": 1}), as the card and lists write it."""
    confirmed_text, _, waiting_text = text.partition("(候补")
    return _units(confirmed_text), _units(waiting_text)


def _units(text: str) -> dict[str, int]:
    return {code: int(n) for code, n in re.findall(r"([A-Z])×(\d+)", text)}


def dump(message: dict) -> str:
    """A message for assertion output."""
    return json.dumps(message, ensure_ascii=False)[:2000]
