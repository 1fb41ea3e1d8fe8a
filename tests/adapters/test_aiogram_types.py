"""aiogram's types are built when first used, and work the same when they are."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Run in a fresh interpreter: in the test process aiogram is imported once, by whoever is first.
CHECK = textwrap.dedent(
    """
    from bot.adapters.aiogram_types import defer_type_building
    defer_type_building()

    from pydantic import BaseModel
    from aiogram.methods import SendMessage
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Sticker, Update

    assert not Sticker.__pydantic_complete__, "not built at import"
    assert not Update.__pydantic_complete__

    update = Update.model_validate({
        "update_id": 7,
        "callback_query": {
            "id": "c1", "chat_instance": "i", "data": "gb:1",
            "from": {"id": 5, "is_bot": False, "first_name": "王阿姨"},
            "message": {
                "message_id": 3, "date": 0, "chat": {"id": -100, "type": "supergroup"},
                "text": "接龙", "sticker": {
                    "file_id": "f", "file_unique_id": "u", "type": "regular",
                    "width": 1, "height": 1, "is_animated": False, "is_video": False,
                },
            },
        },
    })
    assert update.callback_query.from_user.first_name == "王阿姨"
    assert update.callback_query.message.sticker.width == 1, "nested types resolve"
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="+1", callback_data="gb:1")]]
    )
    call = SendMessage(chat_id=-100, text="hi", reply_markup=markup)
    assert call.reply_markup.inline_keyboard[0][0].callback_data == "gb:1"
    try:
        SendMessage(chat_id=-100)
    except ValueError as refused:
        assert "text" in str(refused)
    else:
        raise AssertionError("validation still refuses a call without text")

    class Other(BaseModel):
        n: int
    assert Other(n=1).n == 1 and "model_rebuild" in BaseModel.__dict__, "pydantic as shipped"
    print("ok")
    """
)


def test_types_are_built_on_first_use_and_validate_as_shipped() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
