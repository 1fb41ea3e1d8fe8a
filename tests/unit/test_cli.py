"""The `linli` command: its help names only what it can do, and its log stays readable."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import QUIET_LOGGERS, build_parser, main
from models import inbox
from models.base import create_engine, session_factory, unit_of_work


@pytest.fixture(autouse=True)
def _restore_logger_levels() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_help_lists_only_commands_that_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as shown:
        main(["--help"])
    assert shown.value.code == 0
    listed = re.findall(r"^ {4}(\w+)\s", capsys.readouterr().out, re.MULTILINE)
    assert listed == ["run", "sandbox", "db", "inbox"]
    parser = build_parser()
    for argv in (["run"], ["run", "--webhook"], ["sandbox"], ["db", "upgrade"], ["inbox"]):
        assert callable(parser.parse_args(argv).action), argv


def test_db_upgrade_logs_no_alembic_chatter(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LINLI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    caplog.set_level(logging.INFO)
    assert main(["db", "upgrade"]) == 0
    assert "database is up to date" in capsys.readouterr().out
    assert "Context impl" not in caplog.text and "Will assume" not in caplog.text
    for name in ("apscheduler.executors.default", "apscheduler.scheduler"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name


def test_inbox_lists_parked_updates_and_puts_them_back_in_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LINLI_DATABASE_URL", url)
    assert main(["inbox"]) == 0
    assert "no parked updates" in capsys.readouterr().out
    asyncio.run(_park(url, 41, "RuntimeError: boom"))

    assert main(["inbox"]) == 0
    listed = capsys.readouterr().out
    assert "41" in listed and "chat 7" in listed and "RuntimeError: boom" in listed
    assert main(["inbox", "retry", "41"]) == 0
    assert "1 parked updates" in capsys.readouterr().out
    assert main(["inbox"]) == 0
    assert "no parked updates" in capsys.readouterr().out


async def _park(url: str, update_id: int, error: str) -> None:
    engine = create_engine(url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            now = datetime.now(UTC)
            await inbox.store(session, [inbox.Received(update_id, 7, {"update_id": 41})], now)
            await inbox.claim(session, update_id, now, status=inbox.PARKED, error=error)
    finally:
        await engine.dispose()
