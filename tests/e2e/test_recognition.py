"""Hours and recognition end to end, under both frameworks: /me's hours, the certificate and
/verify, points redeemed with a leader, the monthly thank-you in the group.

Residents and volunteers are put into the database directly; a help request is filed and taken
through the domain, and everything the test checks is then done through the sandbox.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pdfminer.high_level import extract_text
from sqlalchemy import func, select

from models.help_requests import claim_help, file_request
from models.people import Person, bound_building, ensure_person, register_household
from models.records import record_service
from models.redemptions import Redemption
from models.thanks import ThanksPost
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import buttons, says, start_privately, text_of

DESCRIPTION = "帮忙去药店买降压药两盒"
ROOMS = ["3-502", "3-701", "3-702", "3-801", "3-901"]
CODE = re.compile(r"/verify ([A-Z0-9]{4}-[A-Z0-9]{4})")


@dataclass
class World:
    """3号楼's group, its leader, a resident and volunteers (Bob never started the bot)."""

    leader: int
    group: int
    wang: int  # 3-502, asks for help
    sarah: int
    tom: int
    mei: int
    bob: int
    building_id: int


async def _world(bot: BotWorld) -> World:
    people = bot.people
    # Mid-week and mid-month, so "this week" and "this month" hold what the test just did.
    local = bot.clock.now().astimezone(bot.app.settings.tz)
    wednesday = local.date() + timedelta(days=(2 - local.weekday()) % 7 or 7)
    if wednesday.day < 3:
        wednesday += timedelta(days=7)
    noon = datetime.combine(wednesday, time(12), tzinfo=bot.app.settings.tz)
    bot.clock.advance(noon - bot.clock.now())
    leader = await people.add_user("陈建国")
    names = ["王阿姨", "Sarah", "Tom", "梅梅", "Bob"]
    ids = [await people.add_user(n) for n in names]
    group = await people.add_group("3号楼邻里群", creator_id=leader, member_ids=ids)
    await start_privately(bot, [leader])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, group)
        for user, name, room in zip(ids, names, ROOMS, strict=True):
            person = await ensure_person(session, user, name, bot.clock.now())
            await register_household(
                session, person=person, building_id=building.id, room_text=room
            )
            person.phone = "13912345678" if name == "王阿姨" else None
            if name != "王阿姨":
                person.is_volunteer, person.skills = True, ["delivery"]
        building_id = building.id
    wang, sarah, tom, mei, bob = ids
    await start_privately(bot, [wang, sarah, tom, mei])
    return World(leader, group, wang, sarah, tom, mei, bob, building_id)


async def _taken_request(bot: BotWorld, w: World) -> int:
    """王阿姨 asks for help and Sarah has taken it (the intake is tested elsewhere)."""
    async with bot.sessions() as session, session.begin():
        wang = await session.scalar(select(Person).where(Person.tg_user_id == w.wang))
        sarah = await session.scalar(select(Person).where(Person.tg_user_id == w.sarah))
        found = await file_request(
            session,
            person=wang,
            category="medicine",
            urgency="today",
            description=DESCRIPTION,
            for_whom="self",
            neighbour_room=None,
            now=bot.clock.now(),
            tz=bot.app.settings.tz,
        )
        request_id = found.request.id
    async with bot.sessions() as session, session.begin():
        sarah = await session.scalar(select(Person).where(Person.tg_user_id == w.sarah))
        await claim_help(session, request_id=request_id, volunteer=sarah, now=bot.clock.now())
    return request_id


async def _serve(bot: BotWorld, w: World, user: int, start: datetime, minutes: int) -> None:
    """Service hours recorded for a volunteer (as a checked-out shift would)."""
    async with bot.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.tg_user_id == user))
        assert person is not None
        record_service(
            session,
            person_id=person.id,
            building_id=w.building_id,
            kind="shift",
            source_ref=f"shift:test:{user}:{start.isoformat()}",
            started_at=start,
            ended_at=start + timedelta(minutes=minutes),
        )


async def _pdf_text(bot: BotWorld, message: dict) -> str:
    assert message["document"]["file_name"].endswith(".pdf")
    data = await bot.people.file(message["document"]["file_id"])
    assert data.startswith(b"%PDF")
    return extract_text(io.BytesIO(data))


async def _ask(bot: BotWorld, user: int, chat: int, text: str, *parts: str) -> dict:
    """Say something and wait for the bot's new message containing every part."""
    seen = {m["message_id"] for m in await bot.people.bot_messages(chat)}
    await bot.people.say(user, chat, text)
    return await bot.people.wait_for(
        chat, lambda m: m["message_id"] not in seen and all(p in text_of(m) for p in parts)
    )


def _is_pdf(after: int = 0):  # type: ignore[no-untyped-def]
    return lambda m: (
        m["message_id"] > after
        and str((m.get("document") or {}).get("file_name", "")).endswith(".pdf")
    )


async def test_ninety_minutes_become_a_verified_certificate(bot: BotWorld) -> None:
    """/done H-1 90 → /me shows 1.5 h → /certificate sends a PDF with it → /verify confirms."""
    w = await _world(bot)
    people = bot.people
    request_id = await _taken_request(bot, w)
    await people.say(w.sarah, w.sarah, f"/done H-{request_id} 90 送到了")
    await people.wait_for(w.sarah, says(f"H-{request_id} 已完成", "1 小时 30 分钟"))
    rate = await people.wait_for(w.wang, says("评价"))
    star5 = next(b for b in buttons(rate) if b.startswith("hp:rate:") and b.endswith(":5"))
    await people.tap(w.wang, w.wang, rate["message_id"], star5)
    await people.wait_for(w.wang, says("谢谢你的评价"))

    me = await _ask(bot, w.sarah, w.sarah, "/me", "服务时长")
    assert "本周 1.5 小时，本月 1.5 小时，累计 1.5 小时" in text_of(me), text_of(me)
    assert "（1 次评价）" in text_of(me) and "可兑换 1.5 分" in text_of(me), text_of(me)

    await people.say(w.sarah, w.sarah, "/certificate")
    document = await people.wait_for(w.sarah, _is_pdf())
    caption = text_of(document)
    assert "1.5 小时" in caption, caption
    match = CODE.search(caption)
    assert match, caption
    code = match.group(1)
    pdf = await _pdf_text(bot, document)
    for expected in ("志愿服务记录证明", "Sarah", "1.5", "阳光花园", "邻里求助", code, "/verify"):
        assert expected in pdf, (expected, pdf)
    # What was done, and for whom, is not on the certificate.
    for private in (DESCRIPTION, "王阿姨", "3-502", "药"):
        assert private not in pdf, private

    # Anyone can check it, even in the group; a wrong code is told apart.
    await people.say(w.leader, w.group, f"/verify {code.lower()}")
    verified = await people.wait_for(w.group, says("真实有效"))
    assert "Sarah" in text_of(verified) and "1.5 小时" in text_of(verified), text_of(verified)
    wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    await people.say(w.leader, w.leader, f"/verify {wrong}")
    await people.wait_for(w.leader, says("没有验证码为", wrong))

    # An English reader gets the document in English; a month without service is refused.
    await people.say(w.sarah, w.sarah, "/lang en")
    await people.wait_for(w.sarah, says("English"))
    before = document["message_id"]
    await people.say(w.sarah, w.sarah, "/certificate 2020-01")
    await people.wait_for(w.sarah, says("No service of yours is recorded from 2020-01-01"))
    await people.say(w.sarah, w.sarah, "/certificate last year")
    await people.wait_for(w.sarah, says("read the period", "last year"))
    month = bot.clock.now().astimezone(bot.app.settings.tz).strftime("%Y-%m")
    await people.say(w.sarah, w.sarah, f"/certificate {month}")
    english = await people.wait_for(w.sarah, _is_pdf(before))
    text = await _pdf_text(bot, english)
    assert "Volunteer service record" in text and "This is to certify that Sarah" in text, text
    assert "1.5 h" in text_of(english)


async def test_a_certificate_asked_for_in_the_group_goes_privately(bot: BotWorld) -> None:
    """Reachable: sent privately. Never started the bot: a start link that delivers it."""
    w = await _world(bot)
    people = bot.people
    await _serve(bot, w, w.tom, bot.clock.now() - timedelta(hours=3), 120)
    await _serve(bot, w, w.bob, bot.clock.now() - timedelta(hours=5), 45)
    await people.say(w.tom, w.group, "/certificate")
    await people.wait_for(w.group, says("已私聊发给你了"))
    assert "2.0 小时" in text_of(await people.wait_for(w.tom, _is_pdf()))
    await people.say(w.bob, w.group, "/certificate")
    offer = await people.wait_for(w.group, says("我还不能私聊你"))
    link = re.search(r"start=(ce\d+)", text_of(offer))
    assert link, offer
    await people.say(w.bob, w.bob, f"/start {link.group(1)}")
    pdf = await _pdf_text(bot, await people.wait_for(w.bob, _is_pdf()))
    assert "Bob" in pdf and "0.8" in pdf, pdf  # 45 minutes, to one decimal
    assert not [m for m in await people.messages(w.group) if m.get("document")]


async def _ledger(bot: BotWorld) -> list[tuple]:
    async with bot.sessions() as session:
        rows = await session.execute(
            select(Redemption.person_id, Redemption.half_points).order_by(Redemption.id)
        )
        return [tuple(r) for r in rows]


async def test_points_are_redeemed_by_a_leader_only(bot: BotWorld) -> None:
    """/redeem as a reply: refused for a non-leader, bad points, or above the balance."""
    w = await _world(bot)
    people = bot.people
    await _serve(bot, w, w.sarah, bot.clock.now() - timedelta(hours=3), 90)
    thanks = await people.say(w.sarah, w.group, "今天的菜都送到了")

    async def group_answer(user: int, text: str, *parts: str, reply: bool = True) -> str:
        seen = {m["message_id"] for m in await people.bot_messages(w.group)}
        await people.say(user, w.group, text, reply_to=thanks if reply else None)
        answer = await people.wait_for(
            w.group, lambda m: m["message_id"] not in seen and all(p in text_of(m) for p in parts)
        )
        return text_of(answer)

    await group_answer(w.tom, "/redeem 1 奶茶券", "只有本楼的楼组长")
    await group_answer(w.wang, "/redeem 1 奶茶券", "只有本楼的楼组长")
    assert await _ledger(bot) == []
    await group_answer(w.leader, "/redeem 1 奶茶券", "回复志愿者的消息发 /redeem", reply=False)
    await group_answer(w.leader, "/redeem 1", "回复志愿者的消息发 /redeem")
    await group_answer(w.leader, "/redeem 0 奶茶券", "积分要写正数", "“0”")
    await group_answer(w.leader, "/redeem -2 奶茶券", "积分要写正数")
    await group_answer(w.leader, "/redeem 1.2 奶茶券", "积分要写正数")
    await group_answer(w.leader, "/redeem 2 奶茶券", "Sarah 可兑换的积分只有 1.5 分，不够 2 分")
    assert await _ledger(bot) == []

    answer = await group_answer(w.leader, "/redeem 1 奶茶券", "已记录：Sarah 兑换了 1 积分")
    assert "已私信告诉" in answer
    told = await people.wait_for(w.sarah, says("陈建国 记录了你兑换", "奶茶券"))
    assert "剩余可兑换积分：0.5" in text_of(told)
    await group_answer(w.leader, "/redeem 1 奶茶券", "只有 0.5 分，不够 1 分")
    me = await _ask(bot, w.sarah, w.sarah, "/me", "积分")
    assert "可兑换 0.5 分（共获得 1.5 分，已兑换 1 分）" in text_of(me), text_of(me)
    async with bot.sessions() as session:
        sarah = await session.scalar(select(Person.id).where(Person.tg_user_id == w.sarah))
    assert await _ledger(bot) == [(sarah, 2)]

    # Bob never started the bot: the group answer carries a link only Bob can open.
    await _serve(bot, w, w.bob, bot.clock.now() - timedelta(hours=6), 60)
    bobs = await people.say(w.bob, w.group, "谢谢")
    seen = {m["message_id"] for m in await people.bot_messages(w.group)}
    await people.say(w.leader, w.group, "/redeem 0.5 口罩", reply_to=bobs)
    offer = await people.wait_for(
        w.group, lambda m: m["message_id"] not in seen and "Bob 兑换了 0.5" in text_of(m)
    )
    assert "我还不能私聊 TA" in text_of(offer)
    link = re.search(r"start=(rd\d+)", text_of(offer))
    assert link, offer
    await people.say(w.tom, w.tom, f"/start {link.group(1)}")
    await people.wait_for(w.tom, says("这个链接不是你的积分记录"))
    await people.say(w.bob, w.bob, f"/start {link.group(1)}")
    await people.wait_for(w.bob, says("陈建国 记录了你兑换", "口罩", "剩余可兑换积分：0.5"))
    assert len(await _ledger(bot)) == 2


async def test_the_monthly_thank_you_is_posted_once_without_the_opted_out(bot: BotWorld) -> None:
    """Next month's 1st at 10:00: the group thanks last month's volunteers, by name and hours."""
    w = await _world(bot)
    people = bot.people
    tz = bot.app.settings.tz
    local = bot.clock.now().astimezone(tz)
    month_start = datetime.combine(local.date().replace(day=1), time(9), tzinfo=tz)
    await _serve(bot, w, w.tom, month_start, 300)
    await _serve(bot, w, w.sarah, month_start + timedelta(days=1), 90)
    await _serve(bot, w, w.mei, month_start + timedelta(days=1), 60)
    request_id = await _taken_request(bot, w)
    await people.say(w.sarah, w.sarah, f"/done H-{request_id} 30")
    await people.wait_for(w.sarah, says(f"H-{request_id} 已完成"))

    # 梅梅 leaves herself out with the button under /me.
    me = await _ask(bot, w.mei, w.mei, "/me", "每月感谢名单", "会列出你")
    [out] = [b for b in buttons(me) if b.startswith("sv:thx:")]
    await people.tap(w.mei, w.mei, me["message_id"], out)
    await people.wait_for(w.mei, says("不会列出你"))
    await _ask(bot, w.mei, w.mei, "/me", "每月感谢名单：不列出你")

    # Before 10:00 on the 1st nothing is posted; at 10:00 once, however often it ticks.
    next_month = (local.date().replace(day=1) + timedelta(days=32)).replace(day=1)
    bot.clock.advance(datetime.combine(next_month, time(9, 59), tzinfo=tz) - bot.clock.now())
    await bot.app.tick()
    await bot.settle()
    assert not [m for m in await people.bot_messages(w.group) if "谢谢志愿者们" in text_of(m)]
    bot.clock.advance(timedelta(minutes=1))
    await bot.app.tick()
    await bot.app.tick()
    await bot.settle()
    bot.clock.advance(timedelta(hours=5))
    await bot.app.tick()
    await bot.settle()
    posts = [m for m in await people.bot_messages(w.group) if "谢谢志愿者们" in text_of(m)]
    assert len(posts) == 1, posts
    text = text_of(posts[0])
    assert f"{local.year} 年 {local.month} 月，2 位邻居为 3号楼 服务了 7.0 小时" in text, text
    assert text.index("Tom — 5.0 小时") < text.index("Sarah — 2.0 小时"), text
    assert "梅梅" not in text
    for private in (DESCRIPTION, "王阿姨", "3-502", "3-701", "13912345678", "药", "求助"):
        assert private not in text, private
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count(ThanksPost.id))) == 1
