"""The e2e privacy sweep really catches each kind of leak (so it cannot silently pass)."""

from __future__ import annotations

import pytest

from sandbox.world import BOT_ID, Persona, World
from tests.e2e.privacy import Secrets, group_leaks, leaks

SECRETS = Secrets(
    phones=frozenset({"+8613812345678", "+447700900123"}),
    pickup_codes=frozenset({"4821"}),
    names=frozenset({"李娜", "Tom"}),
    room_labels=frozenset({"3-502", "601"}),
    help_texts=frozenset({"需要降压药 硝苯地平 两盒"}),
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("李娜的电话 +8613812345678", "phone"),
        ("call 138 1234 5678 now", "phone"),
        ("Emma: +44 7700 900123", "phone"),
        ("有事打 15900001111", "mobile number"),
        ("✅ 取货码 4821：已取", "pickup code"),
        ("Code <b>4821</b> collected", "pickup code"),
        ("3-502 李娜 A×2", "name"),
        ("Tom (601) joined", "name"),
        ('<a href="x">李娜</a> 住在 3号楼 3-502 室', "name"),
        ("🆘 H-1 · 需要降压药 硝苯地平 两盒", "help request text"),
        ("🆘 H-1 <i>需要降压药 硝苯地平 两盒</i>", "help request text"),
    ],
)
def test_each_kind_of_leak_is_caught(text: str, kind: str) -> None:
    """A phone, a pickup code or a name beside a room, in any of its usual shapes."""
    assert any(reason.startswith(kind) for reason in leaks(text, SECRETS)), leaks(text, SECRETS)


@pytest.mark.parametrize(
    "text",
    [
        "✅ 已登记：3号楼 3-502",  # a room alone says nothing about who lives there
        "李娜 现在是 3号楼 的楼组长",  # a name alone, with a building, is public in the group
        "B. 鸡蛋 ¥48.21 · 截止 11-26 18:00 #4821-x",  # a price or id, not the code
        "1. 1-4821  A×2",  # room 4821 of unit 1, not the code
        "Tomorrow 601 gets A×1",  # "Tom" inside a word is not a name
        "李娜" + " " * 30 + "601",  # too far apart to read as "lives there"
    ],
)
def test_ordinary_group_messages_pass(text: str) -> None:
    """What groups are meant to see is not flagged."""
    assert leaks(text, SECRETS) == []


def test_sweep_reads_the_bots_group_messages_only() -> None:
    """Bot messages in groups are checked; private chats and people's own words are not."""
    world = World([Persona(1, "李娜")])
    group = world.add_group("邻里群", creator_id=1).id
    world.add_message(1, BOT_ID, text="你的取货码 4821")  # private: fine
    world.add_message(group, 1, text="我的电话 13812345678")  # the person's own choice
    assert group_leaks(world, SECRETS) == []
    world.add_message(group, BOT_ID, text="已到货", caption=None)
    card = world.add_message(group, BOT_ID, text="接龙")
    card.reply_markup = {"inline_keyboard": [[{"text": "📦 3-502 · 4821", "callback_data": "x"}]]}
    found = group_leaks(world, SECRETS)
    assert len(found) == 1 and "pickup code 4821" in found[0]
