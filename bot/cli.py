"""The `linli` command: run the bot, run the offline sandbox, or migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from bot.settings import Settings

log = logging.getLogger("linli")

# Routine lines that would drown the bot's own log at INFO: alembic's "Context impl SQLiteImpl."
# and "Will assume non-transactional DDL." on every start, APScheduler's "Running job…" and
# "Job … executed successfully" on every 30-second tick, and httpx's line per Bot API call.
QUIET_LOGGERS = (
    "httpx",
    "alembic.runtime.migration",
    "apscheduler.scheduler",
    "apscheduler.executors.default",
)


def configure_logging(verbose: bool) -> None:
    """INFO (DEBUG with -v) for Linli; warnings only from chatty libraries."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    """The command line; each subcommand names the function that carries it out."""
    parser = argparse.ArgumentParser(
        prog="linli",
        description="Linli (邻里): a neighbourhood bot for building group chats.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the bot against Telegram (needs TELEGRAM_BOT_TOKEN), long polling"
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates at LINLI_WEBHOOK_URL (served on LINLI_WEBHOOK_HOST:PORT)",
    )
    run.set_defaults(action=_run_command)
    sandbox = commands.add_parser(
        "sandbox",
        help="run a local Bot API server, a browser chat page and the bot with a demo community",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, default=8081, help="port of the page and Bot API")
    sandbox.add_argument(
        "--database",
        default="sqlite+aiosqlite:///linli-sandbox.db",
        help="database URL for the sandbox (default: a local SQLite file)",
    )
    sandbox.set_defaults(action=_sandbox_command)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply all migrations (also done on start)")
    upgrade.set_defaults(action=_upgrade_command)
    inbox = commands.add_parser(
        "inbox", help="updates whose handling failed and was given up on (parked), newest first"
    )
    inbox.add_argument(
        "retry",
        nargs="?",
        choices=["retry"],
        help="put parked updates back in line (all, or the update ids given)",
    )
    inbox.add_argument("update_ids", nargs="*", type=int, metavar="UPDATE_ID")
    inbox.set_defaults(action=_inbox_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `linli` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    return args.action(args, Settings(), parser)


def _run_command(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser
) -> int:
    if not settings.telegram_bot_token:
        parser.error("set TELEGRAM_BOT_TOKEN to the token @BotFather gave you")
    if args.webhook and not settings.webhook_url:
        parser.error("set LINLI_WEBHOOK_URL to the public https address Telegram should call")
    return _serve(_run(settings, webhook=args.webhook))


def _sandbox_command(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser
) -> int:
    return _serve(_sandbox(settings, args.host, args.port, args.database))


def _upgrade_command(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser
) -> int:
    return asyncio.run(_upgrade(settings))


def _serve(coro) -> int:  # type: ignore[no-untyped-def]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(coro)
    return 0


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _run(settings: Settings, *, webhook: bool) -> None:
    from bot.app import Linli, freeze_startup_objects

    app = Linli(settings, webhook=webhook)
    await app.start()
    freeze_startup_objects()
    try:
        await _until_stopped()
    finally:
        await app.stop()


async def _sandbox(settings: Settings, host: str, port: int, database: str) -> None:
    from bot.app import Linli
    from sandbox.personas import demo_world
    from sandbox.seed import seed_demo
    from sandbox.server import SANDBOX_TOKEN, SandboxServer

    world = demo_world(settings.timezone)
    server = SandboxServer(world)
    root = await server.start(host, port)
    settings = settings.model_copy(
        update={"telegram_bot_token": SANDBOX_TOKEN, "api_url": root, "database_url": database}
    )
    await _seed(settings, world, seed_demo)
    app = Linli(settings)
    await app.start()
    print(f"\n  Linli sandbox is ready: open {root}/ in your browser.\n", flush=True)
    try:
        await _until_stopped()
    finally:
        await app.stop()
        await server.stop()


async def _seed(settings: Settings, world, seed_demo) -> None:  # type: ignore[no-untyped-def]
    """Migrate, fill the demo community and resume update ids before the first update."""
    from bot.clock import SystemClock
    from models.base import create_engine, session_factory
    from models.migrate import upgrade_database
    from sandbox.seed import resume_update_ids

    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        async with session_factory(engine)() as session, session.begin():
            await seed_demo(session, world, SystemClock().now(), settings)
            await resume_update_ids(session, world)
    finally:
        await engine.dispose()


async def _upgrade(settings: Settings) -> int:
    from models.base import create_engine
    from models.migrate import upgrade_database

    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
    finally:
        await engine.dispose()
    print(f"database is up to date: {engine.url.render_as_string(hide_password=True)}")
    return 0


def _inbox_command(
    args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser
) -> int:
    if args.update_ids and not args.retry:
        parser.error("name update ids only after `retry`")
    return asyncio.run(_inbox(settings, args.retry is not None, args.update_ids or None))


async def _inbox(settings: Settings, retry: bool, update_ids: list[int] | None) -> int:
    from models import inbox
    from models.base import create_engine, session_factory, unit_of_work
    from models.migrate import upgrade_database

    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        async with unit_of_work(session_factory(engine)) as session:
            if retry:
                count = await inbox.retry_parked(session, update_ids)
                print(f"{count} parked updates will be handled at the bot's next start")
                return 0
            rows = await inbox.parked(session)
    finally:
        await engine.dispose()
    if not rows:
        print("no parked updates")
    for row in rows:
        when = row.finished_at or row.received_at
        print(f"{row.update_id}\tchat {row.chat_id}\t{when:%Y-%m-%d %H:%M}Z\t{row.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
