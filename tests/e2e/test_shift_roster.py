"""Rosters end to end under both frameworks: /assign by reply, /roster, /export roster, the .ics."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, time, timedelta

from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import select

from models.people import Person, bound_building
from models.shifts import Shift, ShiftAssignment
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says, text_of
from tests.e2e.test_shifts import _take, shift_world

PHONES = ["13800001111", "13900002222", "13700003333", "13600004444", "13500005555"]


def _file_named(suffix: str) -> Callable[[dict], bool]:
    return lambda m: str((m.get("document") or {}).get("file_name", "")).endswith(suffix)


async def _file(bot: BotWorld, message: dict) -> bytes:
    return await bot.people.file(message["document"]["file_id"])


async def test_a_leader_assigns_by_reply_and_the_roster_shows_names_not_phones(
    bot: BotWorld,
) -> None:
    """/assign as a reply warns about a broken rest rule; /roster today names who is on duty."""
    w = await shift_world(bot)
    people = bot.people
    sarah, tom = w.volunteers[0], w.volunteers[1]
    async with bot.sessions() as session, session.begin():
        for user, phone in zip(w.volunteers, PHONES, strict=True):
            person = await session.scalar(select(Person).where(Person.tg_user_id == user))
            assert person is not None
            person.phone = phone
    await people.say(w.leader, w.group, "/shift 门岗 Gate duty | 明天 08:00-12:00 | 2")
    gate = await people.wait_for(w.group, says("门岗 Gate duty", "0/2"))
    await people.say(w.leader, w.group, "/shift 物资 Supplies | 明天 10:00-14:00 | 2")
    await people.wait_for(w.group, says("物资 Supplies", "0/2"))
    assert "已报名" in await _take(bot, sarah, w.group, gate, 1)

    # Sarah offers in the group; the leader replies to her with /assign: a warning, not a no.
    offer = await people.say(sarah, w.group, "我还能再帮忙")
    await people.say(w.leader, w.group, "/assign S-2", reply_to=offer)
    assigned = await people.wait_for(w.group, says("已安排 Sarah 上 S-2"))
    assert "⚠️" in text_of(assigned) and "时间重叠" in text_of(assigned)
    assert "已私信告诉" in text_of(assigned)
    await people.wait_for(sarah, says("楼组长安排你上 S-2", "物资 Supplies"))
    await people.wait_for(w.group, says("物资 Supplies", "1/2", "Sarah"))

    # Bad input is explained, and changes nothing.
    await people.say(w.leader, w.group, "/assign S-2")
    await people.wait_for(w.group, says("回复志愿者的消息发 /assign"))
    await people.say(w.leader, w.group, f"/assign S-99 {tom}")
    await people.wait_for(w.group, says("S-99"))
    await people.say(w.leader, w.group, f"/assign S-2 {w.leader}")
    await people.wait_for(w.group, says("还不是志愿者"))
    await people.say(tom, w.group, f"/assign S-2 {tom}")
    await people.wait_for(w.group, says("只有本楼的楼组长"))
    # Tom blocked the bot: the leader is told honestly that he was not reached.
    async with bot.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.tg_user_id == tom))
        assert person is not None
        person.started_private = False
    await people.say(w.leader, w.group, f"/assign S-1 {tom}")
    await people.wait_for(w.group, says("已安排 Tom 上 S-1", "2/2", "没能私信告诉 TA"))
    assert not [m for m in await people.bot_messages(tom) if "楼组长安排你" in text_of(m)]
    async with bot.sessions() as session:
        on = await session.scalars(
            select(ShiftAssignment.shift_id).order_by(ShiftAssignment.shift_id)
        )
        assert list(on) == [1, 1, 2]

    # The next morning, a volunteer asks for today's roster in the group: names, no phones.
    async with bot.sessions() as session:
        start = await session.scalar(select(Shift.starts_at).where(Shift.id == 1))
        assert start is not None
    local = start.astimezone(bot.app.settings.tz)
    bot.clock.advance(
        datetime.combine(local.date(), time(7), tzinfo=local.tzinfo) - bot.clock.now()
    )
    await people.say(tom, w.group, "/roster today")
    roster = await people.wait_for(w.group, says("值班表", "3号楼"))
    text = text_of(roster)
    assert "S-1" in text and "S-2" in text and "Sarah" in text and "Tom" in text, text
    assert "缺 1 人" in text, text
    assert not any(phone in text for phone in PHONES), text
    await people.say(tom, w.group, "/roster someday")
    await people.wait_for(w.group, says("/roster today（今天）或 /roster week"))


async def test_the_roster_export_and_the_calendar_arrive_as_files(bot: BotWorld) -> None:
    """/export roster: CSV and XLSX privately (or a start link); /myshifts ics: a calendar."""
    w = await shift_world(bot)
    people = bot.people
    sarah = w.volunteers[0]
    await people.say(w.leader, w.group, "/shift 门岗 Gate duty | 明天 08:00-12:00 | 3")
    card = await people.wait_for(w.group, says("门岗 Gate duty", "0/3"))
    assert "已报名" in await _take(bot, sarah, w.group, card, 1)

    await people.say(w.leader, w.group, "/export roster")
    await people.wait_for(w.group, says("已私聊发给你了"))
    csv_file = await people.wait_for(w.leader, _file_named(".csv"))
    xlsx_file = await people.wait_for(w.leader, _file_named(".xlsx"))
    assert "值班表：1 个班次" in (xlsx_file.get("caption") or "")
    rows = list(csv.reader(io.StringIO((await _file(bot, csv_file)).decode("utf-8-sig"))))
    assert rows[0] == [
        "日期",
        "岗位",
        "开始",
        "结束",
        "名额",
        "已排",
        "志愿者",
        "已签到",
        "已签退",
        "分钟",
    ]
    assert rows[1][1:] == ["门岗 Gate duty", "08:00", "12:00", "3", "1", "Sarah", "0", "0", "0"]
    sheet = load_workbook(io.BytesIO(await _file(bot, xlsx_file))).active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)][1][1:6] == [
        "门岗 Gate duty",
        "08:00",
        "12:00",
        3,
        1,
    ]
    assert not [m for m in await people.messages(w.group) if m.get("document")]
    # /export for group-buys still answers as before.
    await people.say(w.leader, w.group, "/export")
    await people.wait_for(w.group, says("没有进行中的团购"))

    # A leader Linli cannot reach gets a start link; opening it delivers the files.
    async with bot.sessions() as session, session.begin():
        leader = await session.scalar(select(Person).where(Person.tg_user_id == w.leader))
        assert leader is not None
        leader.started_private = False
        building = (await bound_building(session, w.group)).id
    await people.say(w.leader, w.group, "/export roster")
    linked = await people.wait_for(w.group, says("我还不能私聊你"))
    assert f"start=rx{building}" in str(linked), linked
    before = len([m for m in await people.messages(w.leader) if m.get("document")])
    await people.say(w.leader, w.leader, f"/start rx{building}")
    await people.wait_for(
        w.leader,
        lambda m: _file_named(".xlsx")(m) and m["message_id"] > xlsx_file["message_id"],
    )
    assert len([m for m in await people.messages(w.leader) if m.get("document")]) == before + 2

    # Sarah's calendar, privately.
    await people.say(sarah, sarah, "/myshifts ics")
    ics = await people.wait_for(sarah, _file_named(".ics"))
    assert "1 个班次" in (ics.get("caption") or "")
    [event] = Calendar.from_ical(await _file(bot, ics)).walk("VEVENT")
    assert str(event["uid"]) == "shift-1@linli"
    assert str(event["summary"]) == "门岗 Gate duty"
    assert str(event["description"]) == "3号楼"
    async with bot.sessions() as session:
        shift = await session.get(Shift, 1)
        assert shift is not None
        assert event.decoded("dtstart") == shift.starts_at
        assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=4)
    await people.say(sarah, sarah, "/myshifts calendar")
    await people.wait_for(sarah, says("/myshifts ics"))
