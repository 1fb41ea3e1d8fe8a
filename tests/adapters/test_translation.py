"""Error and markup translation in both adapters, without a network."""

from __future__ import annotations

import datetime as dtm

import pytest
from aiogram import exceptions as ag_error
from aiogram.methods import SendMessage
from telegram import error as tg_error

from bot import transport
from bot.adapters import aiogram as ag_adapter
from bot.adapters import ptb as ptb_adapter
from bot.context import Button, ContactRequest, Keyboard, RemoveKeyboard

METHOD = SendMessage(chat_id=1, text="x")


def _raise(translated, exc: Exception) -> transport.TransportError:
    with pytest.raises(transport.TransportError) as info, translated():
        raise exc
    return info.value


@pytest.mark.parametrize(
    ("exc", "kind", "seconds"),
    [
        (tg_error.RetryAfter(3), transport.RetryAfter, 3.0),
        (tg_error.RetryAfter(dtm.timedelta(seconds=1.5)), transport.RetryAfter, 1.5),
        (tg_error.Forbidden("Forbidden: bot was blocked by the user"), transport.Forbidden, None),
        (tg_error.TimedOut(), transport.NetworkError, None),
        (tg_error.NetworkError("Bad Gateway"), transport.NetworkError, None),
        (tg_error.InvalidToken(), transport.TransportError, None),
    ],
)
def test_ptb_errors(exc, kind, seconds) -> None:
    got = _raise(ptb_adapter._translated, exc)
    assert type(got) is kind
    if seconds is not None:
        assert got.seconds == seconds


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ag_error.TelegramRetryAfter(METHOD, "Too Many Requests", 3), transport.RetryAfter),
        (ag_error.TelegramForbiddenError(METHOD, "Forbidden: blocked"), transport.Forbidden),
        (ag_error.TelegramNetworkError(METHOD, "Request timeout error"), transport.NetworkError),
        (ag_error.TelegramServerError(METHOD, "Bad Gateway"), transport.NetworkError),
        (ag_error.TelegramUnauthorizedError(METHOD, "Unauthorized"), transport.TransportError),
    ],
)
def test_aiogram_errors(exc, kind) -> None:
    got = _raise(ag_adapter._translated, exc)
    assert type(got) is kind
    if kind is transport.RetryAfter:
        assert got.seconds == 3.0


@pytest.mark.parametrize(
    "exc",
    [
        tg_error.BadRequest("Message is not modified: specified new message content is the same"),
        ag_error.TelegramBadRequest(METHOD, "Bad Request: message is not modified: same"),
    ],
    ids=["ptb", "aiogram"],
)
def test_not_modified(exc) -> None:
    translated = ptb_adapter._translated if isinstance(exc, tg_error.TelegramError) else None
    got = _raise(translated or ag_adapter._translated, exc)
    assert type(got) is transport.BadRequest and got.not_modified


@pytest.mark.parametrize("adapter", [ptb_adapter, ag_adapter], ids=["ptb", "aiogram"])
def test_markup(adapter) -> None:
    inline = adapter._markup(
        Keyboard.of([Button("Join", data="gb:j:1")], [Button("Web", url="https://x.org")])
    )
    assert [[(b.text, b.callback_data, b.url) for b in row] for row in inline.inline_keyboard] == [
        [("Join", "gb:j:1", None)],
        [("Web", None, "https://x.org")],
    ]
    reply = adapter._markup(ContactRequest("Share", "Skip"))
    assert reply.one_time_keyboard and reply.resize_keyboard
    buttons = [b for row in reply.keyboard for b in row]
    assert [(b.text, bool(b.request_contact)) for b in buttons] == [
        ("Share", True),
        ("Skip", False),
    ]
    assert adapter._markup(RemoveKeyboard()).remove_keyboard is True
    assert adapter._markup(None) is None
