"""Sample values for the rollcall templates (test_templates renders each in both languages)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

_OPENS = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_CLOSES = _OPENS + timedelta(hours=2)


def _tally(expected: int, **counts: int) -> Any:
    return SimpleNamespace(expected=expected, counts=counts, answered=sum(counts.values()))


def _item(audience: str, days: list[int], once_at: datetime | None = None, **extra: Any) -> Any:
    return SimpleNamespace(
        ref="R-3",
        title="每日报平安 <Daily>",
        audience=audience,
        days=days,
        once_at=once_at,
        start_minute=480,
        minutes=120,
        status=extra.get("status", "active"),
    )


_RUN = SimpleNamespace(opens_at=_OPENS, closes_at=_CLOSES, status="closed", answered=3, expected=4)


def _report(**fields: Any) -> Any:
    values = {
        "tally": _tally(4, well=2, help=1),
        "coverage": 75,
        "silent": [],
        "help": [],
        "unreachable": [],
        "followups": [],
        "volunteers_unreached": 0,
        **fields,
    }
    return SimpleNamespace(**values)


ROLLCALL_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "rollcall/card": [
        {
            "title": "每日报平安 <Daily>",
            "audience": audience,
            "opens": _OPENS,
            "closes": _CLOSES,
            "tally": _tally(300, well=120, help=3, duty=1, off=1, ok=2),
            "closed": closed,
        }
        for audience in ("households", "volunteers", "care")
        for closed in (False, True)
    ],
    "rollcall/scheduled": [
        {"item": _item("households", [0, 1, 2, 3, 4, 5, 6]), "opened": False},
        {"item": _item("volunteers", [0, 1, 2, 3, 4]), "opened": True},
        {"item": _item("care", [0, 2, 4]), "opened": False},
        {"item": _item("households", [], once_at=_OPENS), "opened": True},
    ],
    "rollcall/changed": [
        {"ref": "R-3", "title": "报平安", "status": status}
        for status in ("paused", "active", "stopped")
    ],
    "rollcall/list": [
        {
            "items": [
                (_item("households", [0, 1, 2, 3, 4, 5, 6]), _RUN),
                (_item("care", [], once_at=_OPENS, status="paused"), None),
                (_item("volunteers", [0]), SimpleNamespace(opens_at=_OPENS, status="missed")),
                (_item("volunteers", [0]), SimpleNamespace(opens_at=_OPENS, status="open")),
            ]
        },
        {"items": []},
    ],
    "rollcall/answered_toast": [
        {"answer": answer, "changed": changed, "reachable": reachable}
        for answer in ("well", "help", "duty", "off")
        for changed, reachable in ((False, True), (True, False))
    ],
    "rollcall/help_description": [{"title": "每日报平安 <Daily>", "day": _OPENS}],
    "rollcall/help_asked": [{"ref": "H-17", "title": "每日报平安 <Daily>"}],
    "rollcall/remind": [
        {"title": "报平安", "closes": _CLOSES, "audience": audience}
        for audience in ("households", "volunteers", "care")
    ],
    "rollcall/care_round": [
        {
            "title": "探访",
            "closes": _CLOSES,
            "residents": [("C-3", "3-301", "王奶奶"), ("C-4", "502", "<李爷爷>")],
        }
    ],
    "rollcall/care_checked": [
        {"ref": "C-3", "name": "王奶奶", "answer": answer}
        for answer in ("ok", "help", "unreachable")
    ],
    "rollcall/care_alert": [
        {
            "ref": "C-3",
            "name": "王奶奶",
            "room": "3-301",
            "answer": answer,
            "volunteer": "Sarah",
            "title": "探访",
        }
        for answer in ("help", "unreachable")
    ],
    "rollcall/missed": [
        {"item": _item("households", [0]), "runs": [_RUN]},
        {"item": _item("care", [0]), "runs": [_RUN, _RUN, _RUN]},
    ],
    "rollcall/report": [
        {"item": _item("households", [0]), "run": _RUN, "report": _report()},
        {
            "item": _item("households", [0]),
            "run": _RUN,
            "report": _report(
                silent=["3-502", "3-601"], help=["2-101 H-17"], followups=[(12, "3-502")]
            ),
        },
        {"item": _item("volunteers", [0]), "run": _RUN, "report": _report(help=["Sarah"])},
        {
            "item": _item("care", [0]),
            "run": _RUN,
            "report": _report(unreachable=["3-301 王奶奶"], volunteers_unreached=2),
        },
    ],
    "rollcall/followup": [{"task": 12, "room": "3-502", "title": "每日报平安"}],
    "rollcall/followup_taken": [{"task": 12, "room": "3-502"}],
    "errors/rollcall_syntax": [
        {"expected": e, "text": "daily 8-10"} for e in ("parts", "title", "when", "window")
    ],
    "errors/rollcall_window": [
        {"text": "10:00-08:00", "reason": r}
        for r in ("end_before_start", "too_long", "empty", "clock")
    ],
    "errors/rollcall_in_past": [{"text": "once 2026-11-01 08:00-10:00"}],
    "errors/rollcall_unknown_audience": [{"text": "cats"}],
    "errors/rollcall_not_found": [{"ref": "R-3"}],
    "errors/rollcall_closed": [{"closed_at": _CLOSES}],
    "errors/rollcall_not_in": [{}],
}
