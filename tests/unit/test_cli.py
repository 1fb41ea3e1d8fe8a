"""The `linli` command: its help names only what it can do, and its log stays readable."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import QUIET_LOGGERS, build_parser, main


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
    assert listed == ["run", "sandbox", "db"]
    parser = build_parser()
    for argv in (["run"], ["sandbox"], ["db", "upgrade"]):
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
