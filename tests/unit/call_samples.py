"""Sample values for the urgent-call, swap and /fatigue templates (rendered in both languages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.fatigue import FatigueReport, Silent, Worked
from models.rest_rules import RestRules

_START = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_END = _START + timedelta(hours=1)
_SHIFT = {"ref": "S-12", "post": "卸货 <Unloading>", "start": _START, "end": _END}
_LONG = "很长的名字" * 20  # names are clipped so a full report stays under 4,096 characters


def _report(rows: int, name: str = "Sarah <S>") -> FatigueReport:
    worked = Worked(name, 2280, date(2026, 11, 26), 420, near_day=True, near_week=True)
    return FatigueReport(
        buildings=["3号楼", "<5号楼>"],
        week_start=date(2026, 11, 23),
        rules=RestRules(),
        volunteers=rows * 4,
        hours=[worked] * rows,
        near=[worked, Worked("Tom", 1950, None, 0, near_week=True)][:rows],
        never_on_shift=[name] * rows,
        silent=[Silent(name, 3)] * rows,
        more={"hours": rows, "near": 0, "never": 2, "silent": 1} if rows else {},
    )


def _more(report: FatigueReport) -> FatigueReport:
    report.more = {"hours": 0, "near": 0, "never": 0, "silent": 0}
    return report


CALL_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "calls/opened": [{**_SHIFT, "invited": 5}, {**_SHIFT, "invited": 0}],
    "calls/invite": [
        {
            **_SHIFT,
            "state": state,
            "missing": 2,
            "skill": skill,
            "building": "<3号楼>",
            "widened": widened,
        }
        for state, skill, widened in (
            ("open", None, False),
            ("open", "medical", True),
            ("mine", None, False),
            ("full", None, False),
            ("over", None, True),
            ("cancelled", None, False),
        )
    ],
    "calls/coming_toast": [_SHIFT],
    "calls/widened_leaders": [{**_SHIFT, "missing": 3, "invited": 12}],
    "calls/recall_drop": [
        {**_SHIFT, "missing": 1, "is_open": True},
        {**_SHIFT, "missing": 0, "is_open": False},
    ],
    "calls/swap_offered": [_SHIFT],
    "calls/swap_card": [
        {**_SHIFT, "skill": skill, "offerer": "Sarah <S>", "taker": taker, "is_open": is_open}
        for skill, taker, is_open in (
            ("driving", None, True),
            (None, "Tom <T>", False),
            (None, None, False),
        )
    ],
    "calls/swap_released": [{**_SHIFT, "offerer": "Sarah", "taker": "Tom <T>"}],
    "calls/swap_taken": [{**_SHIFT, "offerer": "Sarah <S>", "taker": "Tom"}],
    "calls/swap_taken_toast": [_SHIFT],
    "calls/fatigue": [
        {"report": _report(2)},
        {"report": _more(_report(0))},
        # The largest report the model builds: 15 rows a list, long names.
        {"report": _report(15, _LONG)},
    ],
    "errors/call_not_invited": [{"ref": "S-12"}],
    "errors/swap_closed": [{"ref": "S-12"}],
    "errors/swap_own": [{"ref": "S-12"}],
}
