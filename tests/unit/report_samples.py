"""Sample values for the leaders' report templates (both languages)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from models.reports import DayCounts, LeadersReport, RunCoverage

_DAY = date(2026, 11, 25)
_RUNS = [
    RunCoverage("R-3", "每日平安 <Daily>", "3号楼 & Co", _DAY, "closed", 40, 36),
    RunCoverage("R-4", "Volunteers", "3号楼", _DAY, "open", 12, 5),
    RunCoverage("R-3", "每日平安", "3号楼", _DAY - timedelta(days=1), "missed", 0, 0),
    RunCoverage("R-5", "Care", "3号楼", _DAY, "closed", 0, 0),
]
_DAYS = [DayCounts(_DAY - timedelta(days=n), 3, 2, 1, 40, 36) for n in range(7)]


def _report(**changes: Any) -> LeadersReport:
    values: dict[str, Any] = {
        "period": "week",
        "first_day": date(2026, 11, 23),
        "last_day": date(2026, 11, 29),
        "buildings": ["3号楼 & Co", "5号楼 <b>"],
        "runs": _RUNS,
        "help_opened": 5,
        "help_claimed": 4,
        "help_done": 3,
        "median_claim_minutes": 75,
        "slots": 12,
        "slots_filled": 9,
        "care_gaps": 2,
        "groupbuys": 1,
        "uncollected": 3,
        "minutes": 610,
        "volunteers": 1,
        "days": _DAYS,
    }
    values.update(changes)
    return LeadersReport(**values)


_QUIET = _report(
    period="today",
    first_day=_DAY,
    last_day=_DAY,
    runs=[],
    help_opened=0,
    help_claimed=0,
    help_done=0,
    median_claim_minutes=None,
    slots=0,
    slots_filled=0,
    minutes=0,
    volunteers=0,
)

REPORT_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "reports/report": [
        {"r": _report(), "runs": _RUNS, "more_runs": 0, "daily": False},
        {"r": _report(period="month"), "runs": _RUNS[:1], "more_runs": 30, "daily": True},
        {"r": _QUIET, "runs": [], "more_runs": 0, "daily": True},
    ],
    "reports/chart_caption": [{"first": _DAY - timedelta(days=6), "last": _DAY}],
    "reports/daily_set": [
        {"on": True, "at": "21:00", "reachable": True, "link": "https://t.me/linli_bot?start=lr1"},
        {"on": True, "at": "21:00", "reachable": False, "link": "https://t.me/linli_bot?start=lr1"},
        {"on": False, "at": "21:00", "reachable": True, "link": "https://t.me/linli_bot?start=lr1"},
    ],
    "reports/tasks_export_caption": [
        {"tasks": 12, "done": 5, "period": "all"},
        {"tasks": 1, "done": 0, "period": "week"},
    ],
    "reports/hours_export_caption": [
        {"rows": 1, "minutes": 90, "period": "today"},
        {"rows": 40, "minutes": 1234, "period": "all"},
    ],
}
