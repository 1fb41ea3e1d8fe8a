"""The people's side: the page, the JSON API, waiting for the bot, and a clean shutdown."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import telegram

from models.people import parse_room
from sandbox.client import People, PeopleError
from sandbox.personas import BUILDING_GROUPS, DEMO_GROUPS, demo_world
from sandbox.server import SandboxServer
from tests.sandbox.conftest import LEADER_1, RESIDENT_1

GROUP_1 = BUILDING_GROUPS[1]


def test_demo_world_has_the_community() -> None:
    world = demo_world()
    roles = [p.role for p in world.users.values()]
    assert (roles.count("resident"), roles.count("volunteer"), roles.count("leader")) == (20, 8, 2)
    assert set(world.groups) == set(DEMO_GROUPS)
    for leader in (p for p in world.users.values() if p.role == "leader"):
        status = world.groups[BUILDING_GROUPS[leader.building]].status(leader.id)
        assert status in ("creator", "administrator")
    assert sum(p.vulnerable for p in world.users.values()) == 2
    assert {p.language for p in world.users.values()} == {"zh", "en"}


def test_persona_rooms_are_written_as_register_reads_them() -> None:
    # "1-701" for room 701 of building 1 read as unit 1 and made a second household.
    for persona in demo_world().users.values():
        assert persona.room and parse_room(persona.room).label == persona.room, persona
        assert parse_room(persona.room).unit is None, "the demo buildings have no units"


def test_the_page_is_told_the_community_timezone() -> None:
    assert demo_world().snapshot()["timezone"] == "Asia/Shanghai"
    assert demo_world("Europe/Berlin").snapshot()["timezone"] == "Europe/Berlin"


async def test_page_and_its_assets_are_served(sandbox: SandboxServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(sandbox.url + "/") as page:
            html = await page.text()
        for asset in ("app.js", "style.css"):
            async with http.get(f"{sandbox.url}/static/{asset}") as response:
                assert response.status == 200
    assert 'id="persona-select"' in html and 'id="composer"' in html and 'id="send"' in html


async def test_people_add_users_groups_and_members(sandbox: SandboxServer, people: People) -> None:
    ann = await people.add_user("Ann", language_code="en", username="ann")
    bob = await people.add_user("Bob", user_id=5555)
    chat = await people.add_group("Test 楼", creator_id=ann, member_ids=[bob])
    assert chat < 0 and bob == 5555

    await people.set_member(chat, bob, "kicked")
    with pytest.raises(PeopleError, match="not in chat"):
        await people.say(bob, chat, "hi")
    with pytest.raises(PeopleError) as refused:
        await people.add_user("Dup", user_id=5555)
    assert refused.value.status == 400

    world = await people.world()
    assert any(g["id"] == chat and g["members"][str(ann)] == "creator" for g in world["groups"])
    assert sandbox.world.users[ann].language_code == "en"


async def test_tap_needs_a_real_button(ptb: telegram.Bot, people: People) -> None:
    card = await ptb.send_message(GROUP_1, "no buttons")
    with pytest.raises(PeopleError, match="no button"):
        await people.tap(RESIDENT_1, GROUP_1, card.message_id, "gb:join:1")
    assert await people.tap(RESIDENT_1, GROUP_1, card.message_id, "gb:join:1", force=True)


async def test_wait_for_sees_the_reply_or_lists_recent_messages(
    ptb: telegram.Bot, people: People
) -> None:
    await people.say(RESIDENT_1, RESIDENT_1, "/start")

    async def reply_later() -> None:
        await asyncio.sleep(0.2)
        await ptb.send_message(RESIDENT_1, "<b>欢迎</b>", parse_mode="HTML")

    replying = asyncio.create_task(reply_later())
    message = await people.wait_for(RESIDENT_1, lambda m: "欢迎" in m["text"], timeout=5)
    await replying
    assert message["from"]["is_bot"] and message["text"] == "<b>欢迎</b>"

    with pytest.raises(AssertionError, match=r"(?s)recent:.*#2 bot: <b>欢迎</b>"):
        await people.wait_for(RESIDENT_1, lambda m: "never" in m["text"], timeout=0.3)


async def test_events_long_poll_reports_changes(people: People, sandbox: SandboxServer) -> None:
    async def poll() -> list[dict]:
        url = f"{sandbox.url}/sandbox/api/events?after={sandbox.world.seq}&timeout=5"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return (await response.json())["events"]

    polling = asyncio.create_task(poll())
    await asyncio.sleep(0.2)
    assert not polling.done()
    await people.say(LEADER_1, GROUP_1, "hello")
    [event] = await asyncio.wait_for(polling, 2)
    assert (event["type"], event["chat_id"], event["message_id"]) == ("message", GROUP_1, 1)


async def test_stop_releases_a_waiting_get_updates() -> None:
    server = SandboxServer()
    root = await server.start()
    bot = telegram.Bot(
        server_token := "7000000001:SANDBOX-linli-local-token", base_url=f"{root}/bot"
    )
    assert server_token == server.token
    async with bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await server.stop()
        assert await asyncio.wait_for(poll, 5) == ()
        assert loop.time() - started < 3


async def test_a_second_poller_ends_the_first_with_409(sandbox: SandboxServer) -> None:
    url = f"{sandbox.url}/bot{sandbox.token}/getUpdates"
    async with aiohttp.ClientSession() as http:
        first = asyncio.create_task(http.post(url, json={"timeout": 10}))
        await asyncio.sleep(0.2)
        async with http.post(url, json={"timeout": 0}) as second:
            assert (await second.json())["ok"]
        async with await first as response:
            body = await response.json()
    assert (response.status, body["error_code"]) == (409, 409)
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
