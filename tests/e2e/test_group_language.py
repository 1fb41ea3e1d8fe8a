"""A group's own language: its leaders choose it with /lang; cards and notices follow it.

Residents of one building may read different languages; what is posted for everyone in the group
speaks the language its leaders chose, while each person's /lang keeps changing only their own.
"""

from __future__ import annotations

from models.people import GroupChat, find_person
from tests.e2e.conftest import BotWorld
from tests.e2e.groupbuy_helpers import SPEC, says, text_of


async def test_a_leaders_lang_sets_the_cards_language_a_residents_does_not(bot: BotWorld) -> None:
    """Building 2's English-speaking leader switches the group to English; a resident cannot."""
    people = bot.people
    sarah = await people.add_user("Sarah Lin", language_code="en")
    li = await people.add_user("李娜")
    group = await people.add_group("2号楼邻里群", creator_id=sarah, member_ids=[li])
    await people.say(sarah, group, "/bind 2号楼")
    await people.wait_for(group, says("本群已绑定到", "2号楼"))
    await people.say(li, group, "/register 2-301")
    await people.wait_for(group, says("今日新登记", "2-301"))

    await people.say(li, group, "/lang en")
    await people.wait_for(group, says("talk to you in English"))
    await people.say(sarah, group, SPEC)
    card = await people.wait_for(group, says("🛒", "接龙"))
    assert "Sign-ups" not in text_of(card)

    await people.say(sarah, group, "/lang en")
    await people.wait_for(group, says("this group's cards and announcements are in English"))
    await people.tap(li, group, card["message_id"], card_button(card))
    card = await people.wait_for(
        group, lambda m: m["message_id"] == card["message_id"] and "Sign-ups" in text_of(m)
    )
    assert "2-301  A×1" in text_of(card)
    async with bot.sessions() as session:
        chat = await session.get(GroupChat, group)
        resident = await find_person(session, li)
        assert chat is not None and chat.language == "en"
        assert resident is not None and resident.language == "en"


def card_button(card: dict) -> str:
    """The card's first +1 button."""
    return card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
