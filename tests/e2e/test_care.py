"""Vulnerable residents end to end: a leader lists them and names their volunteers.

The group only ever hears counts and references (C-3), never a name or a room (the privacy
sweep checks every group message for the residents' names); the volunteer gets the details
privately, or, when Linli cannot write to them yet, a link that gives them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from models.base import reading
from models.care import CareResident
from models.people import ensure_person
from models.tasks import Task
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import start_privately, text_of

ADD_WANG = "/care add 3-502 王奶奶 | 独居老人, 慢病 | 每天下午要量血压"
ADD_LI = "/care add 502 李爷爷 | 残障"


@dataclass
class Cast:
    leader: int
    volunteer: int
    shy: int  # a volunteer who never opened a private chat with Linli
    resident: int
    group: int


async def _cast(bot: BotWorld) -> Cast:
    people = bot.people
    leader = await people.add_user("陈团长")
    volunteer = await people.add_user("张志愿")
    shy = await people.add_user("赵志愿")
    resident = await people.add_user("李娜")
    group = await people.add_group(
        "3号楼邻里群", creator_id=leader, member_ids=[volunteer, shy, resident]
    )
    await start_privately(bot, [leader, volunteer, resident])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, lambda m: "本群已绑定到" in text_of(m))
    async with bot.sessions() as session, session.begin():
        for user, name in ((volunteer, "张志愿"), (shy, "赵志愿")):
            person = await ensure_person(session, user, name, bot.clock.now())
            person.is_volunteer, person.skills = True, ["elderly_care"]
    return Cast(leader, volunteer, shy, resident, group)


async def _seen(bot: BotWorld, *chats: int) -> set[tuple[int, int]]:
    return {(c, m["message_id"]) for c in chats for m in await bot.people.bot_messages(c)}


def _new(chat: int, before: set[tuple[int, int]], *parts: str) -> Callable[[dict], bool]:
    """A bot message in `chat` not in `before` that contains every part."""
    return lambda m: (chat, m["message_id"]) not in before and all(p in text_of(m) for p in parts)


async def _say(
    bot: BotWorld, user: int, chat: int, text: str, *parts: str, reply_to: int | None = None
) -> str:
    """`user` writes `text` in `chat`; returns the text of the answer there containing `parts`."""
    before = await _seen(bot, chat)
    await bot.people.say(user, chat, text, reply_to=reply_to)
    return text_of(await bot.people.wait_for(chat, _new(chat, before, *parts)))


async def _stored(bot: BotWorld) -> list[tuple[str, bool, str]]:
    """(name, has a volunteer, gap task status) of every listed resident."""
    async with reading(bot.sessions) as session:
        rows = await session.execute(
            select(CareResident.name, CareResident.volunteer_id, Task.status)
            .join(Task, Task.id == CareResident.task_id)
            .order_by(CareResident.id)
        )
        return [(name, volunteer is not None, status) for name, volunteer, status in rows]


async def test_a_leader_names_volunteers_and_the_group_hears_only_counts(bot: BotWorld) -> None:
    """add two → 2 gaps; pair one by replying in the group; /mycare; gaps 1; unpair → 2; a
    volunteer Linli cannot reach gets a link, never a claim that it was sent."""
    cast = await _cast(bot)
    people = bot.people
    added = await _say(bot, cast.leader, cast.leader, ADD_WANG, "已记下", "王奶奶")
    assert "每天下午要量血压" in added and "独居老人、慢病" in added
    wang = int(re.search(r"C-(\d+)", added).group(1))
    added = await _say(bot, cast.leader, cast.leader, ADD_LI, "已记下", "李爷爷")
    li = int(re.search(r"C-(\d+)", added).group(1))

    listed = await _say(bot, cast.leader, cast.leader, "/care list", "<b>2</b> 位还没有志愿者")
    assert listed.index("王奶奶") < listed.index("李爷爷")
    counts = await _say(bot, cast.leader, cast.group, "/care list", "重点人群 2 位")
    assert "2 位还没有志愿者" in counts and "start=cl" in counts

    # The leader replies in the group to the volunteer's message.
    offer = await people.say(cast.volunteer, cast.group, "我可以照看老人")
    before = await _seen(bot, cast.volunteer, cast.leader)
    paired = await _say(
        bot, cast.leader, cast.group, f"/care pair C-{wang}", "现在有志愿者了", reply_to=offer
    )
    assert "还有 1 位" in paired and "详情已私聊发给志愿者" in paired
    details = await people.wait_for(
        cast.volunteer, _new(cast.volunteer, before, "你现在负责照看", f"C-{wang}")
    )
    for part in ("王奶奶", "3-502", "独居老人、慢病", "每天下午要量血压", "陈团长"):
        assert part in text_of(details), text_of(details)
    await people.wait_for(cast.leader, _new(cast.leader, before, "现在由", "张志愿", "王奶奶"))

    mine = await _say(bot, cast.volunteer, cast.volunteer, "/mycare", "你负责照看的 1 位")
    assert "王奶奶" in mine and "每天下午要量血压" in mine and "李爷爷" not in mine
    link = await _say(bot, cast.volunteer, cast.group, "/mycare", "点这里私聊查看")
    assert "start=mc" in link

    gaps = await _say(bot, cast.leader, cast.leader, "/care gaps", "<b>1</b> 位还没有志愿者")
    assert "李爷爷" in gaps and "王奶奶" not in gaps
    assert await _stored(bot) == [("王奶奶", True, "done"), ("李爷爷", False, "open")]

    before = await _seen(bot, cast.volunteer)
    await _say(bot, cast.leader, cast.leader, f"/care unpair C-{wang}", "现在没有志愿者了")
    await people.wait_for(cast.volunteer, _new(cast.volunteer, before, "不再负责照看"))
    await _say(bot, cast.leader, cast.leader, "/care gaps", "<b>2</b> 位还没有志愿者")
    assert [status for *_, status in await _stored(bot)] == ["open", "open"]

    # 赵志愿 never wrote to Linli privately: the leader is told so and gets a link to forward.
    honest = await _say(
        bot, cast.leader, cast.leader, f"/care pair C-{li} {cast.shy}", "现在由", "赵志愿"
    )
    assert "<b>没有</b>发给对方" in honest and f"start=cv{li}" in honest
    assert "已私聊发给" not in honest
    opened = await _say(bot, cast.shy, cast.shy, f"/start cv{li}", "你现在负责照看", "李爷爷")
    assert "残障" in opened and "502" in opened
    assert [status for *_, status in await _stored(bot)] == ["open", "done"]


async def test_residents_and_volunteers_are_refused_and_nothing_changes(bot: BotWorld) -> None:
    """Resident and volunteer try the leader's /care in private and in the group; a leader's
    malformed input gets an example; nothing is written by any of it."""
    cast = await _cast(bot)
    added = await _say(bot, cast.leader, cast.leader, ADD_WANG, "已记下")
    wang = int(re.search(r"C-(\d+)", added).group(1))
    before = await _stored(bot)
    for user in (cast.resident, cast.volunteer):
        for chat in (user, cast.group):
            for command in (ADD_WANG, f"/care pair C-{wang} {cast.volunteer}", "/care list"):
                await _say(bot, user, chat, command, "只有本楼的楼组长")
    nothing = await _say(bot, cast.volunteer, cast.volunteer, "/mycare", "还没有负责照看的人")
    assert "王奶奶" not in nothing
    await _say(bot, cast.resident, cast.resident, "/mycare", "志愿者")
    refusals = [
        (f"/care pair C-999999 {cast.volunteer}", "找不到 C-999999"),
        ("/care add 五楼 王奶奶 | 独居老人", "找不到房号"),
        ("/care add 3-502 | 独居老人", "房号后面请写上姓名"),
        ("/care add 3-502 王奶奶 | 馋嘴", "不认识“馋嘴”"),
        (ADD_WANG, "已经在名单里了"),
        (f"/care pair C-{wang} {cast.resident}", "只能安排志愿者名单里的人"),
        (f"/care pair C-{wang}", "请指定志愿者"),
        ("/care unpair C-x", "看不懂编号"),
        ("/care", "用法"),
    ]
    for command, expected in refusals:
        answer = await _say(bot, cast.leader, cast.leader, command, expected)
        assert "/care" in answer or "C-" in answer, answer  # each says what to type instead
    assert await _stored(bot) == before
