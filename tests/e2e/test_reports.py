"""The leaders' report end to end, under both frameworks: /report with its chart, the daily
report at 21:00, /export tasks and /export hours; non-leaders refused with nothing sent.

Residents, volunteers, help requests, a shift and a rollcall run are put in through the domain
(their own flows are tested elsewhere); everything checked here goes through the sandbox.
"""

from __future__ import annotations

import csv
import io
import re
import struct
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from models.help_requests import claim_help, file_request, finish_help
from models.people import BuildingLeader, Person, bound_building, ensure_person, register_household
from models.records import ServiceRecord
from models.reports import ReportSubscription
from models.rollcalls import Rollcall, RollcallRun
from models.shift_spec import parse_shift
from models.shifts import claim_slot, post_shifts
from models.tasks import Task
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says, start_privately, text_of

PNG = b"\x89PNG\r\n\x1a\n"
RESIDENTS = [("王阿姨", "3-502"), ("李伯伯", "3-601"), ("赵奶奶", "3-702")]
VOLUNTEERS = [("Sarah", "3-801"), ("Tom", "3-901")]


@dataclass
class World:
    """3号楼's group and leader, a second leader (王组长, who never wrote to Linli privately),
    three residents, two volunteers."""

    leader: int
    deputy: int
    group: int
    residents: list[int]
    sarah: int
    tom: int
    building_id: int


async def _world(bot: BotWorld) -> World:
    people, tz = bot.people, bot.app.settings.tz
    # A Wednesday at noon: "today" holds the whole test, whatever the wall clock says.
    local = bot.clock.now().astimezone(tz)
    wednesday = local.date() + timedelta(days=(2 - local.weekday()) % 7 or 7)
    bot.clock.advance(datetime.combine(wednesday, time(12), tzinfo=tz) - bot.clock.now())
    leader = await people.add_user("陈建国")
    deputy = await people.add_user("王组长")
    names = [name for name, _ in RESIDENTS + VOLUNTEERS]
    ids = [await people.add_user(name) for name in names]
    group = await people.add_group("3号楼邻里群", creator_id=leader, member_ids=[deputy, *ids])
    await start_privately(bot, [leader])
    await people.say(leader, group, "/bind 3号楼")
    await people.wait_for(group, says("本群已绑定到", "3号楼"))
    async with bot.sessions() as session, session.begin():
        building = await bound_building(session, group)
        for user, (name, room) in zip(ids, RESIDENTS + VOLUNTEERS, strict=True):
            person = await ensure_person(session, user, name, bot.clock.now())
            await register_household(
                session, person=person, building_id=building.id, room_text=room
            )
            if name in ("Sarah", "Tom"):
                person.is_volunteer, person.skills = True, ["delivery"]
        second = await ensure_person(session, deputy, "王组长", bot.clock.now())
        await session.flush()
        session.add(
            BuildingLeader(
                building_id=building.id, person_id=second.id, appointed_at=bot.clock.now()
            )
        )
        building_id = building.id
    *residents, sarah, tom = ids
    await start_privately(bot, [sarah, tom])
    return World(leader, deputy, group, residents, sarah, tom, building_id)


async def _person(session, user: int) -> Person:  # type: ignore[no-untyped-def]
    person = await session.scalar(select(Person).where(Person.tg_user_id == user))
    assert person is not None
    return person


async def _day_of_work(bot: BotWorld, w: World) -> None:
    """Three requests at noon: Sarah takes one after 20 min and finishes it in 30, Tom takes
    another after 60; a shift of 2 with Sarah on it; this morning's rollcall: 8 of 10."""
    tz, start = bot.app.settings.tz, bot.clock.now()
    requests = []
    async with bot.sessions() as session, session.begin():
        for user in w.residents:
            filed = await file_request(
                session,
                person=await _person(session, user),
                category="errand",
                urgency="today",
                description="帮忙买菜",
                for_whom="self",
                neighbour_room=None,
                now=start,
                tz=tz,
            )
            requests.append(filed.request.id)
        spec = parse_shift("门岗 | today 14:00-16:00 | 2", now=start, tz=tz)
        [shift] = await post_shifts(
            session,
            leader=await _person(session, w.leader),
            building_id=w.building_id,
            chat_id=w.group,
            spec=spec,
            now=start,
        )
        rollcall = Rollcall(
            building_id=w.building_id,
            chat_id=w.group,
            title="每日平安",
            audience="households",
            repeat="days",
            days=list(range(7)),
            start_minute=8 * 60,
            minutes=120,
            status="active",
            since=start - timedelta(days=1),
            created_at=start - timedelta(days=1),
        )
        session.add(rollcall)
        await session.flush()
        morning = datetime.combine(start.astimezone(tz).date(), time(8), tzinfo=tz)
        session.add(
            RollcallRun(
                rollcall_id=rollcall.id,
                day=morning.date(),
                opens_at=morning,
                closes_at=morning + timedelta(hours=2),
                remind_at=morning + timedelta(hours=1),
                status="closed",
                opened_at=morning,
                closed_at=morning + timedelta(hours=2),
                expected=10,
                answered=8,
            )
        )
    for minutes, volunteer, request in ((20, w.sarah, requests[0]), (40, w.tom, requests[1])):
        bot.clock.advance(timedelta(minutes=minutes))
        async with bot.sessions() as session, session.begin():
            await claim_help(
                session,
                request_id=request,
                volunteer=await _person(session, volunteer),
                now=bot.clock.now(),
            )
    async with bot.sessions() as session, session.begin():
        sarah = await _person(session, w.sarah)
        await finish_help(
            session,
            request_id=requests[0],
            volunteer=sarah,
            minutes_text="30",
            note="",
            now=bot.clock.now(),
        )
        await claim_slot(
            session,
            shift_id=shift.id,
            volunteer=sarah,
            now=bot.clock.now(),
            rules=bot.app.settings.rest_rules,
            tz=tz,
        )
    await bot.settle()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    return struct.unpack(">II", data[16:24])


def _after(seen: set[int], *parts: str):  # type: ignore[no-untyped-def]
    return lambda m: m["message_id"] not in seen and all(p in text_of(m) for p in parts)


async def _seen(bot: BotWorld, chat: int) -> set[int]:
    return {m["message_id"] for m in await bot.people.bot_messages(chat)}


async def _photos(bot: BotWorld, chat: int) -> list[dict]:
    return [m for m in await bot.people.bot_messages(chat) if m.get("photo")]


async def test_the_report_states_the_days_figures_with_a_chart(bot: BotWorld) -> None:
    """/report in private: the figures the database holds, then the chart as a photo."""
    w = await _world(bot)
    await _day_of_work(bot, w)
    people = bot.people
    await people.say(w.leader, w.leader, "/help")
    await people.wait_for(w.leader, says("/report — 本楼报告（附图表）"))
    await people.say(w.sarah, w.sarah, "/help")
    assert "/report" not in text_of(await people.wait_for(w.sarah, says("/me")))
    await people.say(w.leader, w.leader, "/report")
    report = text_of(await people.wait_for(w.leader, says("楼组长报告", "今天")))
    assert "🏢 3号楼" in report, report
    assert "新增 3 条，认领 2 条，完成 1 条" in report, report
    assert "认领用时中位数：40 分钟" in report, report  # of 20 and 60 minutes
    assert "排班名额已排：1/2（50%）" in report, report
    assert "服务时长：0.5 小时，1 位志愿者" in report, report
    assert "每日平安（3号楼）：8/10（80%）" in report, report
    chart = await people.wait_for(w.leader, lambda m: bool(m.get("photo")))
    assert "每天的求助" in text_of(chart)
    assert _png_size(await people.file(chart["photo"]["file_id"])) == (800, 450)

    # In English for an English reader; the week from Monday.
    await people.say(w.leader, w.leader, "/lang en")
    await people.wait_for(w.leader, says("English"))
    await people.say(w.leader, w.leader, "/report week")
    week = text_of(await people.wait_for(w.leader, says("Leaders' report", "this week")))
    assert "Help requests: 3 opened, 2 claimed, 1 done" in week, week
    assert "Shift slots filled: 1/2 (50%)" in week, week
    await people.say(w.leader, w.leader, "/report yesterday")
    await people.wait_for(w.leader, says("/report today, /report week or /report month"))
    await bot.settle()
    assert len(await _photos(bot, w.leader)) == 2


async def test_asked_in_the_group_it_goes_privately_and_non_leaders_are_refused(
    bot: BotWorld,
) -> None:
    w = await _world(bot)
    await _day_of_work(bot, w)
    people = bot.people
    seen = await _seen(bot, w.group)
    await people.say(w.leader, w.group, "/report")
    await people.wait_for(w.group, _after(seen, "已私聊发给你了"))
    await people.wait_for(w.leader, says("楼组长报告"))
    await people.wait_for(w.leader, lambda m: bool(m.get("photo")))

    # 王组长 never opened the private chat: the group gets a start link, which delivers it.
    seen = await _seen(bot, w.group)
    await people.say(w.deputy, w.group, "/report week")
    offer = await people.wait_for(w.group, _after(seen, "我还不能私聊你"))
    link = re.search(r"start=(lr\d)", text_of(offer))
    assert link, text_of(offer)
    await people.say(w.deputy, w.deputy, f"/start {link.group(1)}")
    await people.wait_for(w.deputy, says("楼组长报告", "本周", "新增 3 条"))
    await people.wait_for(w.deputy, lambda m: bool(m.get("photo")))
    seen = await _seen(bot, w.group)
    await people.say(w.deputy, w.group, "/export hours")
    # Reachable now: sent privately.
    await people.wait_for(w.group, _after(seen, "已私聊发给你了"))
    await people.wait_for(w.deputy, says("合计 30 分钟"))
    # The export's start link (what an unreachable leader is given) checks the opener again.
    await people.say(w.deputy, w.deputy, "/start xt3")
    await people.wait_for(w.deputy, says("任务（本月新增）：共 5 条"))
    seen = await _seen(bot, w.sarah)
    await people.say(w.sarah, w.sarah, "/start xh0")
    await people.wait_for(w.sarah, _after(seen, "只有本楼的楼组长"))

    # A volunteer and a resident are refused in the group, Sarah in private too; they get nothing.
    for user in (w.sarah, w.residents[0]):
        seen = await _seen(bot, w.group)
        await people.say(user, w.group, "/report")
        await people.wait_for(w.group, _after(seen, "只有本楼的楼组长"))
    for text in ("/report week", "/report daily on", "/export hours", "/export tasks"):
        seen = await _seen(bot, w.sarah)
        await people.say(w.sarah, w.sarah, text)
        await people.wait_for(w.sarah, _after(seen, "只有本楼的楼组长"))
    await bot.settle()
    assert not await _photos(bot, w.group)
    assert not await _photos(bot, w.sarah)
    assert not [m for m in await people.bot_messages(w.sarah) if m.get("document")]
    assert not [m for m in await people.bot_messages(w.sarah) if "报告" in text_of(m)]
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ReportSubscription)) == 0


async def _daily_reports(bot: BotWorld, user: int) -> list[dict]:
    return [
        m for m in await bot.people.bot_messages(user) if text_of(m).startswith("📊 <b>每日报告")
    ]


async def test_the_daily_report_comes_once_at_nine_to_subscribers_only(bot: BotWorld) -> None:
    """Subscribed at noon: nothing at 20:59, one report at 21:00, none again after a restart."""
    w = await _world(bot)
    await _day_of_work(bot, w)
    people, tz = bot.people, bot.app.settings.tz
    await people.say(w.leader, w.leader, "/report daily on")
    await people.wait_for(w.leader, says("每天 21:00 会私聊发给你当天的报告"))
    today = bot.clock.now().astimezone(tz).date()

    async def tick_at(day: date, hour: int, minute: int = 0) -> None:
        bot.clock.advance(datetime.combine(day, time(hour, minute), tzinfo=tz) - bot.clock.now())
        await bot.app.tick()
        await bot.settle()

    await tick_at(today, 20, 59)
    assert await _daily_reports(bot, w.leader) == []
    await tick_at(today, 21)
    [daily] = await _daily_reports(bot, w.leader)
    assert "新增 3 条，认领 2 条，完成 1 条" in text_of(daily), text_of(daily)
    await people.wait_for(w.leader, lambda m: bool(m.get("photo")))
    await bot.app.tick()
    await bot.restart()
    await tick_at(today, 21, 30)
    await tick_at(today, 23, 59)
    assert len(await _daily_reports(bot, w.leader)) == 1
    assert len(await _photos(bot, w.leader)) == 1
    assert await _daily_reports(bot, w.deputy) == []  # leads too, never subscribed

    # The next evening, the next day's; after /report daily off, no more.
    await tick_at(today + timedelta(days=1), 21)
    assert len(await _daily_reports(bot, w.leader)) == 2
    await people.say(w.leader, w.leader, "/report daily off")
    await people.wait_for(w.leader, says("不再发每日报告"))
    await tick_at(today + timedelta(days=2), 21)
    assert len(await _daily_reports(bot, w.leader)) == 2
    assert await _daily_reports(bot, w.deputy) == []


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def _documents(bot: BotWorld, user: int, after: set[int]) -> dict[str, bytes]:
    found = {}
    for message in await bot.people.bot_messages(user):
        if message["message_id"] not in after and message.get("document"):
            document = message["document"]
            found[document["file_name"]] = await bot.people.file(document["file_id"])
    return found


async def test_the_exports_add_up_to_the_records(bot: BotWorld) -> None:
    """/export hours and /export tasks: CSV and XLSX, privately, totals as in the database."""
    w = await _world(bot)
    await _day_of_work(bot, w)
    people = bot.people
    seen = await _seen(bot, w.leader)
    group_seen = await _seen(bot, w.group)
    await people.say(w.leader, w.group, "/export hours")
    await people.wait_for(w.group, _after(group_seen, "已私聊发给你了"))
    caption = await people.wait_for(w.leader, _after(seen, "服务时长", "合计"))
    files = await _documents(bot, w.leader, seen)
    async with bot.sessions() as session:
        total = await session.scalar(
            select(func.sum(ServiceRecord.minutes)).where(
                ServiceRecord.building_id == w.building_id
            )
        )
        tasks = await session.scalar(
            select(func.count(Task.id)).where(Task.building_id == w.building_id)
        )
    assert total == 30 and f"合计 {total} 分钟" in text_of(caption)
    header, *rows = _csv_rows(files["linli-hours.csv"])
    assert header == ["志愿者", "楼栋", "日期", "类型", "分钟", "小时", "来源"]
    assert sum(int(row[4]) for row in rows) == total
    assert [(row[0], row[3], row[5]) for row in rows] == [("Sarah", "邻里求助", "0.5")]
    sheet = load_workbook(io.BytesIO(files["linli-hours.xlsx"])).active
    assert sheet is not None
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sum(row[4] for row in values) == total

    seen = await _seen(bot, w.leader)
    await people.say(w.leader, w.leader, "/export tasks")
    await people.wait_for(w.leader, _after(seen, "任务：共 5 条", "已完成 2 条"))
    files = await _documents(bot, w.leader, seen)
    header, *rows = _csv_rows(files["linli-tasks.csv"])
    assert len(rows) == tasks == 5  # three requests, two slots
    assert sorted(row[3] for row in rows) == ["已完成", "已完成", "已认领", "待认领", "待认领"]
    assert sorted(row[7] for row in rows if row[7]) == ["20", "60"]  # slots are not claimed
    book = load_workbook(io.BytesIO(files["linli-tasks.xlsx"])).active
    assert book is not None and book.max_row == tasks + 1
    assert not [m for m in await people.bot_messages(w.group) if m.get("document")]
