"""A bare framework bot, the yardstick of Linli's overhead: it answers every tap, nothing else.

    python -m bench.bare_bot <report> ptb|aiogram

Long polls the Bot API at LINLI_API_URL with TELEGRAM_BOT_TOKEN (the same allowed updates and
poll timeout as Linli's adapters) and answers every callback query with answerCallbackQuery.
Each framework keeps its defaults, as a bot written from its tutorial would: python-telegram-bot
handles one update at a time, aiogram starts a task per update. (Measured here: PTB with 256
concurrent updates, as Linli's adapter runs, answers *fewer* taps a second than PTB alone —
~130–360/s against ~850/s — because httpcore's connection pool scans every waiting request on
each change; see bench/README.md.) Prints "ready" once it polls; stops on SIGTERM and writes
how many taps it answered to <report>.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
POLL_TIMEOUT = 10


async def bare_ptb(token: str, api: str, stop: asyncio.Event) -> int:
    """An Application with one CallbackQueryHandler."""
    import datetime as dtm

    from telegram import Update
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

    answered = 0

    async def on_tap(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal answered
        assert update.callback_query is not None
        await update.callback_query.answer()
        answered += 1

    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .job_queue(None)
        .build()
    )
    app.add_handler(CallbackQueryHandler(on_tap))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        timeout=dtm.timedelta(seconds=POLL_TIMEOUT), allowed_updates=ALLOWED_UPDATES
    )
    print("ready", flush=True)
    await stop.wait()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    return answered


async def bare_aiogram(token: str, api: str, stop: asyncio.Event) -> int:
    """A Dispatcher with one callback_query handler."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery

    answered = 0
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    dp = Dispatcher(disable_fsm=True)

    @dp.callback_query()
    async def on_tap(query: CallbackQuery) -> None:
        nonlocal answered
        await query.answer()
        answered += 1

    dp.startup.register(lambda: print("ready", flush=True))
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            polling_timeout=POLL_TIMEOUT,
            allowed_updates=ALLOWED_UPDATES,
            handle_signals=False,
        )
    )
    await stop.wait()
    await dp.stop_polling()
    await polling
    return answered


async def serve(report: str, framework: str) -> None:
    """Run the bare bot until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    token, api = os.environ["TELEGRAM_BOT_TOKEN"], os.environ["LINLI_API_URL"]
    run = bare_ptb if framework == "ptb" else bare_aiogram
    answered = await run(token, api, stop)
    await asyncio.to_thread(Path(report).write_text, json.dumps({"answered": answered}))


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
