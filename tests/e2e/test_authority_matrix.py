"""The authorization matrix of building authority: every leader or coordinator command and
button, tried by every kind of person. Refusals must say why and change nothing.

Kinds: a resident, a pending household member, a volunteer, a leader of another building, the
admin of an unbound group (a member here), a leader of this building, a coordinator.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.authority import bind_chat
from models.care import CareResident, add_care_resident
from models.people import (
    BindRequest,
    BuildingLeader,
    Coordinator,
    GroupChat,
    Household,
    Person,
    ensure_person,
    register_household,
)
from models.records import record_service
from models.redemptions import Redemption
from models.rollcalls import Rollcall
from models.shifts import Shift, ShiftAssignment
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import says, start_privately

KINDS = [
    "resident",
    "pending",
    "volunteer",
    "other_leader",
    "unbound_admin",
    "leader",
    "coordinator",
]
ALLOWED = {"leader", "coordinator"}


@dataclass
class World:
    group: int
    building_id: int
    other_building_id: int
    people: dict[str, int]
    target: int  # a plain member the commands name
    applicant_id: int  # a person waiting to join room 201 (whose member is not in KINDS)
    household_201: int
    request_id: int  # a rogue group's pending request for this building
    bind_message: int  # a bot message in the group to tap forged buttons on
    care_id: int = 0  # a vulnerable resident of the building, without a volunteer
    shift_id: int = 0  # a shift of the building, with free slots


async def _world(bot: BotWorld) -> World:
    people, now = bot.people, bot.clock.now()
    ids = {kind: await people.add_user(kind) for kind in KINDS}
    target = await people.add_user("Target")
    member_201 = await people.add_user("Member201")
    applicant = await people.add_user("Applicant")
    group = await people.add_group(
        "3号楼群",
        creator_id=ids["leader"],
        member_ids=[u for k, u in ids.items() if k != "leader"] + [target, member_201, applicant],
    )
    await people.add_group("5号楼群", creator_id=ids["other_leader"])
    await people.add_group("Unbound", creator_id=ids["unbound_admin"])
    await start_privately(bot, [*ids.values()])
    await people.say(ids["leader"], group, "/bind 3号楼")
    bound = await people.wait_for(group, says("本群已绑定到"))
    # The shift's card is posted now, so the commands below only edit it.
    await people.say(ids["leader"], group, "/shift 门岗 | 明天 08:00-12:00 | 3")
    await people.wait_for(group, says("门岗", "0/3"))
    async with bot.sessions() as s, s.begin():
        person = {k: await ensure_person(s, u, k, now) for k, u in ids.items()}
        await s.flush()
        other = await bind_chat(
            s,
            chat_id=-5555,
            title="5号楼群",
            building_name="5号楼",
            community_name=bot.app.settings.community_name,
            timezone="Asia/Shanghai",
            binder=person["other_leader"],
            is_chat_admin=True,
            now=now,
        )
        building_id = (await s.get(GroupChat, group)).building_id
        s.add(Coordinator(person_id=person["coordinator"].id, appointed_at=now))
        for kind, room in (("resident", "101"), ("volunteer", "102")):
            await register_household(
                s, person=person[kind], building_id=building_id, room_text=room, now=now
            )
        person["volunteer"].is_volunteer = True
        person["volunteer"].skills = ["driving"]
        first = await ensure_person(s, member_201, "Member201", now)
        await register_household(s, person=first, building_id=building_id, room_text="201")
        person["pending"].pending_household_id = first.household_id
        waiting = await ensure_person(s, applicant, "Applicant", now)
        waiting.pending_household_id = first.household_id
        target_person = await ensure_person(s, target, "Target", now)
        await s.flush()
        # Half a point to redeem (/redeem 0.5 …).
        record_service(
            s,
            person_id=target_person.id,
            building_id=building_id,
            kind="shift",
            source_ref="shift:matrix",
            started_at=now - timedelta(hours=2),
            ended_at=now - timedelta(hours=1, minutes=30),
        )
        rogue = await ensure_person(s, 4242, "Rogue", now)
        await s.flush()
        request = BindRequest(
            chat_id=-4242,
            chat_title="Fake",
            building_id=building_id,
            requested_by=rogue.id,
            status="pending",
            created_at=now,
        )
        s.add(request)
        await s.flush()
        care = await add_care_resident(
            s, actor=person["leader"], text="3-301 王奶奶 | 独居老人", now=now, chat_id=group
        )
        shift_id = await s.scalar(select(Shift.id))
        return World(
            group,
            building_id,
            other.building_id,
            ids,
            target,
            waiting.id,
            first.household_id,
            request.id,
            bound["message_id"],
            care.resident.id,
            shift_id or 0,
        )


async def _authority(bot: BotWorld) -> tuple:
    """Every row an authority action could change."""
    async with bot.sessions() as s:
        return (
            sorted(
                (
                    await s.execute(select(BuildingLeader.building_id, BuildingLeader.person_id))
                ).all()
            ),
            sorted((await s.execute(select(Coordinator.person_id))).all()),
            sorted((await s.execute(select(GroupChat.chat_id, GroupChat.building_id))).all()),
            sorted((await s.execute(select(BindRequest.id, BindRequest.status))).all()),
            sorted(
                (
                    await s.execute(
                        select(Person.id, Person.household_id, Person.pending_household_id)
                    )
                ).all()
            ),
            sorted((await s.execute(select(Household.id))).all()),
            sorted((await s.execute(select(CareResident.id, CareResident.volunteer_id))).all()),
            sorted((await s.execute(select(Rollcall.id, Rollcall.status))).all()),
            sorted((await s.execute(select(Shift.id, Shift.filled, Shift.cancelled_at))).all()),
            sorted(
                (await s.execute(select(ShiftAssignment.shift_id, ShiftAssignment.person_id))).all()
            ),
            sorted((await s.execute(select(Shift.id, Shift.filled))).all()),
            sorted((await s.execute(select(Redemption.id, Redemption.half_points))).all()),
        )


async def _answer(bot: BotWorld, query: str) -> str:
    for _ in range(200):  # a tap's answer carries no message to wait for
        answers = await bot.people.answers(query)
        if answers:
            return answers[0].get("text") or ""
        await asyncio.sleep(0.05)
    raise AssertionError(f"tap {query} was never answered")


@pytest.mark.parametrize("kind", KINDS)
async def test_authority_commands_and_buttons(bot: BotWorld, kind: str) -> None:
    """Each leader/coordinator action: allowed for leaders and coordinators, refused otherwise."""
    world = await _world(bot)
    people, actor, group = bot.people, world.people[kind], world.group
    before = await _authority(bot)

    async def command(
        text: str, who: set[str], refusal: str, success: str, reply_to: int | None = None
    ) -> None:
        seen = {m["message_id"] for m in await people.bot_messages(group)}
        await people.say(actor, group, text, reply_to=reply_to)
        reply = await people.wait_for(group, lambda m: m["message_id"] not in seen)
        expected = success if kind in who else refusal
        assert expected in (reply.get("text") or ""), (kind, text, reply.get("text"))

    async def tap(data: str, who: set[str], refusal: str) -> None:
        answer = await _answer(
            bot, await people.tap(actor, group, world.bind_message, data, force=True)
        )
        assert (refusal in answer) != (kind in who), (kind, data, answer)

    await command(f"/leader {world.target}", ALLOWED, "只有本楼的楼组长", "现在是 3号楼 的楼组长")
    await command(f"/unleader {world.target}", ALLOWED, "只有本楼的楼组长", "不再担任")
    await command(
        f"/coordinator {world.target}", {"coordinator"}, "只有社区协调员", "现在是社区协调员"
    )
    await tap(f"bq:{world.request_id}:0", ALLOWED, "只有本楼的楼组长")
    await tap(
        f"hh:{world.applicant_id}:{world.household_201}:0", ALLOWED, "只有这户的家人或本楼的楼组长"
    )
    care, volunteer = world.care_id, world.people["volunteer"]
    await command("/care add 3-302 李爷爷 | 残障", ALLOWED, "只有本楼的楼组长", "已记下 C-")
    await command(f"/care pair C-{care} {volunteer}", ALLOWED, "只有本楼的楼组长", "有志愿者了")
    await command(f"/care unpair C-{care}", ALLOWED, "只有本楼的楼组长", "没有志愿者了")
    await command("/care list", ALLOWED, "只有本楼的楼组长", "重点人群 2 位")
    await command(
        # Tomorrow, whatever the time now: a card opening at once would take the group's turn.
        "/rollcall once 明天 08:00-10:00 | 报平安",
        ALLOWED,
        "只有本楼的楼组长",
        "已安排点名 R-",
    )
    await command("/rollcall pause R-1", ALLOWED, "只有本楼的楼组长", "已暂停")
    await command("/rollcall stop R-1", ALLOWED, "只有本楼的楼组长", "已停止")
    shift = f"S-{world.shift_id}"
    await command("/shift 物资 | 明天 14:00-16:00 | 2", ALLOWED, "只有本楼的楼组长", "物资")
    await command(f"/assign {shift} {volunteer}", ALLOWED, "只有本楼的楼组长", "已安排")
    await command(f"/cancelshift {shift}", ALLOWED, "只有本楼的楼组长", f"已取消班次 {shift}")
    await command("/call 卸货 Unloading | +1h | 2", ALLOWED, "只有本楼的楼组长", "急召")
    await command("/fatigue", ALLOWED, "只有本楼的楼组长", "已私聊发给你了")
    said = await people.say(world.target, group, "我用积分换了口罩")
    await command("/redeem 0.5 口罩", ALLOWED, "只有本楼的楼组长", "兑换了 0.5 积分", said)
    # Moving the group: only its admin who leads its building (the leader created the group).
    await tap(f"bd:{world.other_building_id}:{world.bind_message}:0", {"leader"}, "只有群主")
    if kind not in ALLOWED:
        assert await _authority(bot) == before
