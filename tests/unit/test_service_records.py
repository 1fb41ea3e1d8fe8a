"""Hours, points, redemptions, certificates and the monthly thank-you, on the migrated database.

Runs on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pdfminer.high_level import extract_text
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.certificate_pdf import CertificateText, certificate_pdf
from models import errors
from models.audit import AuditEntry
from models.certificates import (
    Certificate,
    Period,
    issue_certificate,
    normalise_code,
    parse_period,
    verify_certificate,
)
from models.help_requests import claim_help, file_request, finish_help
from models.people import (
    BuildingLeader,
    GroupChat,
    Person,
    ensure_building,
    ensure_community,
    ensure_person,
    forget_person,
    register_household,
)
from models.records import ServiceRecord, record_service
from models.redemptions import Redemption, points_of, redeem_points
from models.standing import standing_of
from models.thanks import ThanksPost, due_thanks, set_thanked

Sessions = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Shanghai")
# Wednesday 25 November 2026, 18:00 in Shanghai.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GROUP, OTHER_GROUP = -100, -200


@dataclass
class Ids:
    building: int
    other_building: int
    leader: int
    other_leader: int
    volunteers: list[int]  # persons.id of v0, v1, v2 (Telegram ids 10, 11, 12)
    resident: int


async def _world(sessions: Sessions) -> Ids:
    """3号楼 (group -100, leader user 1) and 5号楼 (group -200, leader user 2), volunteers 10…12."""
    async with sessions() as s, s.begin():
        community = await ensure_community(s, "阳光花园", "Asia/Shanghai")
        building = await ensure_building(s, community.id, "3号楼", NOW)
        other = await ensure_building(s, community.id, "5号楼", NOW)
        leader = await ensure_person(s, 1, "陈组长", NOW)
        other_leader = await ensure_person(s, 2, "李组长", NOW)
        volunteers = [await ensure_person(s, 10 + i, f"志愿者{i}", NOW) for i in range(3)]
        for person in volunteers:
            person.is_volunteer, person.skills = True, ["delivery"]
        resident = await ensure_person(s, 99, "王阿姨", NOW)
        await s.flush()
        await register_household(s, person=resident, building_id=building.id, room_text="3-502")
        s.add_all(
            [
                BuildingLeader(building_id=building.id, person_id=leader.id, appointed_at=NOW),
                BuildingLeader(building_id=other.id, person_id=other_leader.id, appointed_at=NOW),
                GroupChat(chat_id=GROUP, building_id=building.id, title="3", bound_at=NOW),
                GroupChat(chat_id=OTHER_GROUP, building_id=other.id, title="5", bound_at=NOW),
            ]
        )
        return Ids(
            building.id,
            other.id,
            leader.id,
            other_leader.id,
            [v.id for v in volunteers],
            resident.id,
        )


async def _serve(
    sessions: Sessions, person: int, building: int, start: datetime, minutes: int, ref: str
) -> None:
    async with sessions() as s, s.begin():
        record_service(
            s,
            person_id=person,
            building_id=building,
            kind="shift",
            source_ref=ref,
            started_at=start,
            ended_at=start + timedelta(minutes=minutes),
        )


# -- minutes as given -------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["90", "1.5h", "90分钟"])
async def test_done_credits_the_minutes_as_given(sessions: Sessions, given: str) -> None:
    """`/done H-1 90` (or 1.5h) records exactly 90 minutes for the volunteer who did it."""
    ids = await _world(sessions)
    async with sessions() as s, s.begin():
        resident, volunteer = (
            await s.get(Person, ids.resident),
            await s.get(Person, ids.volunteers[0]),
        )
        volunteer.started_private = True
        found = await file_request(
            s,
            person=resident,
            category="food",
            urgency="today",
            description="买菜",
            for_whom="self",
            neighbour_room=None,
            now=NOW,
            tz=TZ,
        )
        await claim_help(s, request_id=found.request.id, volunteer=volunteer, now=NOW)
    # Claiming and finishing are two updates, as they are in the chat.
    async with sessions() as s, s.begin():
        volunteer = await s.get(Person, ids.volunteers[0])
        await finish_help(
            s,
            request_id=found.request.id,
            volunteer=volunteer,
            minutes_text=given,
            note="",
            now=NOW + timedelta(seconds=37, microseconds=123),
        )
    async with sessions() as s:
        [record] = (await s.scalars(select(ServiceRecord))).all()
        assert (record.person_id, record.kind, record.minutes) == (ids.volunteers[0], "help", 90)
        standing = await standing_of(s, await s.get(Person, ids.volunteers[0]), NOW, TZ)
        assert (standing.week_minutes, standing.month_minutes, standing.total_minutes) == (
            90,
            90,
            90,
        )
        assert standing.earned_half == 3


# -- hours by local week and month -------------------------------------------------------------


async def test_weeks_and_months_are_local(sessions: Sessions) -> None:
    """Monday 00:30 in Shanghai is still Sunday in UTC: it counts in this week, not the last."""
    ids = await _world(sessions)
    v = ids.volunteers[0]
    local = lambda *a: datetime(*a, tzinfo=TZ)  # noqa: E731
    await _serve(sessions, v, ids.building, local(2026, 11, 23, 0, 30), 60, "a")  # Mon this week
    await _serve(sessions, v, ids.building, local(2026, 11, 22, 23, 30), 30, "b")  # Sun last week
    await _serve(sessions, v, ids.building, local(2026, 11, 1, 0, 10), 45, "c")  # this month
    await _serve(sessions, v, ids.building, local(2026, 10, 31, 23, 50), 15, "d")  # last month
    async with sessions() as s:
        standing = await standing_of(s, await s.get(Person, v), NOW, TZ)
    assert standing.week_minutes == 60
    assert standing.month_minutes == 60 + 30 + 45
    assert standing.total_minutes == 150
    assert standing.earned_half == 5  # 150 min = 2.5 points
    assert standing.stars == 1 and standing.thanked


# -- redemptions ------------------------------------------------------------------------------


async def _redeem(
    sessions: Sessions, leader: int, tg_id: int, points: str, *, chat: int = GROUP
) -> str:
    try:
        async with sessions() as s, s.begin():
            done = await redeem_points(
                s,
                chat_id=chat,
                leader=await s.get(Person, leader),
                volunteer_tg_id=tg_id,
                volunteer_name="TG name",
                points_text=points,
                note="  蔬菜券\n 一张 ",
                now=NOW,
            )
            return f"ok {done.balance_half}"
    except errors.DomainError as refused:
        return type(refused).__name__


async def _ledger(sessions: Sessions) -> list[tuple]:
    async with sessions() as s:
        rows = await s.execute(
            select(Redemption.person_id, Redemption.half_points, Redemption.note).order_by(
                Redemption.id
            )
        )
        return [tuple(r) for r in rows]


async def test_a_leader_redeems_within_the_balance(sessions: Sessions) -> None:
    """Earned 5 points (300 min); 3 redeemed leaves 2; 2.5 more is refused; the rest is fine."""
    ids = await _world(sessions)
    await _serve(sessions, ids.volunteers[0], ids.building, NOW - timedelta(days=3), 300, "s1")
    assert await _redeem(sessions, ids.leader, 10, "3") == "ok 4"
    assert await _redeem(sessions, ids.leader, 10, "2.5") == "NotEnoughPoints"
    assert await _redeem(sessions, ids.leader, 10, "2") == "ok 0"
    assert await _ledger(sessions) == [
        (ids.volunteers[0], 6, "蔬菜券 一张"),
        (ids.volunteers[0], 4, "蔬菜券 一张"),
    ]
    async with sessions() as s:
        assert await points_of(s, ids.volunteers[0]) == (10, 10)
        actions = (await s.scalars(select(AuditEntry.action))).all()
        assert actions.count("redeem_points") == 2


@pytest.mark.parametrize(
    ("who", "points", "chat", "refusal"),
    [
        ("volunteer", "1", GROUP, "NotALeader"),
        ("other_leader", "1", GROUP, "NotALeader"),  # leads 5号楼, not this group's building
        ("leader", "0", GROUP, "BadPoints"),
        ("leader", "-1", GROUP, "BadPoints"),
        ("leader", "1.3", GROUP, "BadPoints"),
        ("leader", "lots", GROUP, "BadPoints"),
        ("leader", "6", GROUP, "NotEnoughPoints"),
        ("leader", "1", -999, "ChatNotBound"),
    ],
)
async def test_refused_redemptions_change_nothing(
    sessions: Sessions, who: str, points: str, chat: int, refusal: str
) -> None:
    """Non-leaders, malformed or non-positive points, more than the balance: nothing recorded."""
    ids = await _world(sessions)
    await _serve(sessions, ids.volunteers[0], ids.building, NOW - timedelta(days=3), 300, "s1")
    actor = {"volunteer": ids.volunteers[1], "other_leader": ids.other_leader, "leader": ids.leader}
    assert await _redeem(sessions, actor[who], 10, points, chat=chat) == refusal
    assert await _ledger(sessions) == []
    async with sessions() as s:
        assert await s.scalar(select(func.count(AuditEntry.id))) == 0


async def test_no_redemption_for_oneself_or_a_stranger(sessions: Sessions) -> None:
    """A leader cannot redeem their own points; someone Linli never met has no points."""
    ids = await _world(sessions)
    await _serve(sessions, ids.leader, ids.building, NOW - timedelta(days=3), 300, "s1")
    assert await _redeem(sessions, ids.leader, 1, "1") == "OwnRedemption"
    assert await _redeem(sessions, ids.leader, 4242, "1") == "NotEnoughPoints"
    assert await _ledger(sessions) == []


async def test_two_leaders_cannot_both_spend_the_last_points(sessions: Sessions) -> None:
    """Two redemptions of the whole balance at once: one is recorded, the other refused."""
    ids = await _world(sessions)
    async with sessions() as s, s.begin():
        s.add(
            BuildingLeader(building_id=ids.building, person_id=ids.other_leader, appointed_at=NOW)
        )
    await _serve(sessions, ids.volunteers[0], ids.building, NOW - timedelta(days=3), 120, "s1")
    results = await asyncio.gather(
        _redeem(sessions, ids.leader, 10, "2"), _redeem(sessions, ids.other_leader, 10, "2")
    )
    assert sorted(results) == ["NotEnoughPoints", "ok 0"]
    assert len(await _ledger(sessions)) == 1


async def test_forgetting_a_volunteer_keeps_the_ledger_anonymous(sessions: Sessions) -> None:
    """/forgetme: redemptions stay (the ledger is append-only), without the person."""
    ids = await _world(sessions)
    await _serve(sessions, ids.volunteers[0], ids.building, NOW - timedelta(days=3), 120, "s1")
    assert await _redeem(sessions, ids.leader, 10, "1") == "ok 2"
    async with sessions() as s, s.begin():
        await forget_person(s, ids.volunteers[0])
    assert await _ledger(sessions) == [(None, 2, "蔬菜券 一张")]


# -- certificates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("", None, None),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026年2月", date(2026, 2, 1), date(2026, 2, 28)),
        ("２０２６／１１", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-09-01 2026-11-30", date(2026, 9, 1), date(2026, 11, 30)),
        ("2026-09-01..2026-11-30", date(2026, 9, 1), date(2026, 11, 30)),
        ("2026-09-01 - 2026-11-30", date(2026, 9, 1), date(2026, 11, 30)),
        ("2026年9月1日至2026年11月30日", date(2026, 9, 1), date(2026, 11, 30)),
        ("2026-09 to 2026-10", date(2026, 9, 1), date(2026, 10, 31)),
    ],
)
def test_periods_are_read(text: str, start: date | None, end: date | None) -> None:
    """All time, a month, a year, or a range of days or months."""
    assert parse_period(text) == Period(start, end)


@pytest.mark.parametrize(
    "text", ["last month", "2026-13", "2026-02-30", "2026-11-30 2026-11-01", "11-2026", "1 2 3"]
)
def test_unreadable_periods_are_refused(text: str) -> None:
    """With what was typed, for the localised answer."""
    with pytest.raises(errors.BadPeriod):
        parse_period(text)


async def test_a_certificate_lists_the_period_and_verifies(sessions: Sessions) -> None:
    """November's certificate holds November's services only; its code finds it again."""
    ids = await _world(sessions)
    v = ids.volunteers[0]
    await _serve(sessions, v, ids.building, datetime(2026, 10, 30, 2, tzinfo=UTC), 60, "oct")
    await _serve(sessions, v, ids.building, datetime(2026, 11, 3, 2, tzinfo=UTC), 90, "n1")
    await _serve(sessions, v, ids.other_building, datetime(2026, 11, 20, 2, tzinfo=UTC), 45, "n2")
    async with sessions() as s, s.begin():
        issued = await issue_certificate(
            s,
            person=await s.get(Person, v),
            period=parse_period("2026-11"),
            community="阳光花园",
            language="zh",
            now=NOW,
            tz=TZ,
        )
        code = issued.certificate.display_code
    cert = issued.certificate
    assert (cert.minutes, cert.services, cert.name) == (135, 2, "志愿者0")
    # The period is printed up to the day of issue, not into the future.
    assert (cert.period_from, cert.period_to) == (date(2026, 11, 1), date(2026, 11, 25))
    assert [(line.day, line.minutes) for line in issued.lines] == [
        (date(2026, 11, 3), 90),
        (date(2026, 11, 20), 45),
    ]
    async with sessions() as s:
        assert (await verify_certificate(s, code.lower().replace("-", " "))).id == cert.id
        with pytest.raises(errors.NoSuchCertificate):
            await verify_certificate(s, "ABCD-EFGH" if code != "ABCD-EFGH" else "ABCD-EFGK")
        with pytest.raises(errors.NoSuchCertificate):
            await verify_certificate(s, "short")
    assert normalise_code("ａｂｃｄ－ｅｆｇｈ") == "ABCDEFGH"


async def test_all_time_starts_at_the_first_service(sessions: Sessions) -> None:
    """Without a period: from the first service to the day of issue."""
    ids = await _world(sessions)
    v = ids.volunteers[0]
    await _serve(sessions, v, ids.building, datetime(2026, 3, 2, 2, tzinfo=UTC), 60, "mar")
    async with sessions() as s, s.begin():
        issued = await issue_certificate(
            s,
            person=await s.get(Person, v),
            period=Period(),
            community="阳光花园",
            language="en",
            now=NOW,
            tz=TZ,
        )
    assert (issued.certificate.period_from, issued.certificate.period_to) == (
        date(2026, 3, 2),
        date(2026, 11, 25),
    )


async def test_no_certificate_without_service(sessions: Sessions) -> None:
    """Nothing to certify: refused, and no certificate stored."""
    ids = await _world(sessions)
    await _serve(
        sessions, ids.volunteers[0], ids.building, datetime(2026, 10, 3, tzinfo=UTC), 60, "x"
    )
    for period in (parse_period("2026-11"), Period()):
        person = ids.volunteers[0] if period.start else ids.volunteers[1]
        with pytest.raises(errors.NoServiceInPeriod):
            async with sessions() as s, s.begin():
                await issue_certificate(
                    s,
                    person=await s.get(Person, person),
                    period=period,
                    community="阳光花园",
                    language="zh",
                    now=NOW,
                    tz=TZ,
                )
    async with sessions() as s:
        assert await s.scalar(select(func.count(Certificate.id))) == 0


def test_the_pdf_carries_chinese_and_latin_text() -> None:
    """The built-in CID font renders (and a reader extracts) Chinese beside Latin text."""
    pdf = certificate_pdf(
        CertificateText(
            title="志愿服务记录证明 ・ Volunteer service record",
            statement="兹证明 王阿姨 <b>&amp; Sarah 于 2026-11-01 至 11-30 期间服务 1.5 小时。",
            facts=[("姓名", "王阿姨 <Wang>"), ("服务总时长", "1.5 小时")],
            headers=["日期", "服务类型", "时长（小时）"],
            rows=[("2026-11-03", "邻里求助", "1.5")] * 80,  # more than one page
            footer=["验证码：ABCD-EFGH"],
        )
    )
    assert pdf.startswith(b"%PDF")
    text = extract_text(io.BytesIO(pdf))
    for expected in ("志愿服务记录证明", "Volunteer service record", "王阿姨 <Wang>", "<b>&amp;"):
        assert expected in text
    assert text.count("邻里求助") == 80 and text.count("时长（小时）") >= 2  # header repeats
    assert "ABCD-EFGH" in text


# -- the monthly thank-you ---------------------------------------------------------------------


async def test_the_thank_you_is_due_once_per_building_and_month(sessions: Sessions) -> None:
    """From 10:00 on the 1st; a second tick finds nothing; opted-out volunteers are left out."""
    ids = await _world(sessions)
    v0, v1, v2 = ids.volunteers
    nov = datetime(2026, 11, 10, 2, tzinfo=UTC)
    await _serve(sessions, v0, ids.building, nov, 90, "a")
    await _serve(sessions, v1, ids.building, nov, 300, "b")
    await _serve(sessions, v2, ids.building, nov, 60, "c")
    await _serve(sessions, v0, ids.other_building, nov, 30, "d")
    await _serve(sessions, v0, ids.building, datetime(2026, 10, 10, tzinfo=UTC), 600, "oct")
    await _serve(sessions, v0, ids.building, datetime(2026, 12, 1, tzinfo=UTC), 600, "dec")
    async with sessions() as s, s.begin():
        await set_thanked(s, await s.get(Person, v2), False, NOW)
    local = lambda *a: datetime(*a, tzinfo=TZ)  # noqa: E731

    async def due(at: datetime) -> list:
        async with sessions() as s, s.begin():
            return await due_thanks(s, at, TZ)

    assert await due(local(2026, 12, 1, 9, 59)) == []
    first = await due(local(2026, 12, 1, 10, 0))
    by_chat = {t.chat_id: t for t in first}
    assert set(by_chat) == {GROUP, OTHER_GROUP}
    assert [(v.name, v.minutes) for v in by_chat[GROUP].volunteers] == [
        ("志愿者1", 300),
        ("志愿者0", 90),
    ]
    assert by_chat[GROUP].month == date(2026, 11, 1)
    assert [(v.name, v.minutes) for v in by_chat[OTHER_GROUP].volunteers] == [("志愿者0", 30)]
    assert await due(local(2026, 12, 1, 10, 1)) == []
    assert await due(local(2026, 12, 3, 12, 0)) == []
    async with sessions() as s:
        assert await s.scalar(select(func.count(ThanksPost.id))) == 2


async def test_a_late_bot_catches_up_within_the_first_week(sessions: Sessions) -> None:
    """Down on the 1st: thanked on the 5th; on the 8th last month's thanks would be stale."""
    ids = await _world(sessions)
    await _serve(
        sessions, ids.volunteers[0], ids.building, datetime(2026, 11, 10, tzinfo=UTC), 90, "a"
    )
    async with sessions() as s, s.begin():
        assert await due_thanks(s, datetime(2026, 12, 8, 4, tzinfo=UTC), TZ) == []
    async with sessions() as s, s.begin():
        [thanks] = await due_thanks(s, datetime(2026, 12, 5, 4, tzinfo=UTC), TZ)
    assert thanks.chat_id == GROUP and thanks.total_minutes == 90


async def test_concurrent_ticks_claim_a_thank_you_once(sessions: Sessions) -> None:
    """Two replicas ticking at the same moment: one of them posts it."""
    ids = await _world(sessions)
    await _serve(
        sessions, ids.volunteers[0], ids.building, datetime(2026, 11, 10, tzinfo=UTC), 90, "a"
    )
    at = datetime(2026, 12, 1, 3, tzinfo=UTC)

    async def tick() -> list:
        async with sessions() as s, s.begin():
            return [t.chat_id for t in await due_thanks(s, at, TZ)]

    results = await asyncio.gather(tick(), tick())
    assert sorted(results, key=len) == [[], [GROUP]]
