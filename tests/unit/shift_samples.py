"""Sample values for the shift templates (test_templates renders each in both languages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

_START = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_END = _START + timedelta(hours=4)
_SHIFT = {"ref": "S-12", "post": "门岗 <Gate>", "start": _START, "end": _END}


def _shift(ref: str, filled: int, people: int) -> Any:
    return SimpleNamespace(
        ref=ref, post="门岗 Gate", starts_at=_START, ends_at=_END, filled=filled, people=people
    )


def _view(filled: int, people: int, names: list[str]) -> Any:
    return SimpleNamespace(
        shift=_shift("S-1", filled, people), missing=max(0, people - filled), names=names
    )


def _violation(rule: str, **values: Any) -> Any:
    fields = {"day": None, "would_have": None, "limit": None, "skill": None, **values}
    return SimpleNamespace(rule=rule, **fields)


_VIOLATIONS = [
    _violation("overlap"),
    _violation(
        "day", day=date(2026, 11, 26), would_have=timedelta(hours=10), limit=timedelta(hours=8)
    ),
    _violation(
        "week", day=date(2026, 11, 23), would_have=timedelta(hours=42.5), limit=timedelta(hours=40)
    ),
    _violation("rest", would_have=timedelta(hours=4), limit=timedelta(hours=8)),
    _violation("skill", skill="medical"),
]

SHIFT_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "shifts/card": [
        {
            "post": "门岗 <Gate>",
            "skill": skill,
            "views": [_view(2, 3, ["Sarah", "<Tom>"]), _view(3, 3, ["A", "B", "C"])],
            "more": more,
            "cancelled": False,
            "urgent": urgent,
        }
        for skill, more, urgent in ((None, 0, False), ("medical", 3, True))
    ]
    + [{"post": "门岗", "skill": None, "views": [], "more": 0, "cancelled": True, "urgent": False}],
    "shifts/cancelled": [{"ref": "S-12", "told": 1, "on": 2}, {"ref": "S-12", "told": 0, "on": 0}],
    "shifts/cancelled_volunteer": [_SHIFT],
    "shifts/list": [
        {"views": [_view(1, 3, ["Sarah"]), _view(2, 2, ["A", "B"])]},
        {"views": []},
    ],
    "shifts/taken": [_SHIFT],
    "shifts/taken_toast": [_SHIFT],
    "shifts/dropped": [_SHIFT],
    "shifts/dropped_toast": [_SHIFT],
    "shifts/mine": [{"shifts": [_shift("S-1", 1, 2), _shift("S-2", 2, 2)]}, {"shifts": []}],
    "shifts/checked_in": [_SHIFT],
    "shifts/checked_out": [{"ref": "S-12", "minutes": 245}],
    "shifts/recall": [{**_SHIFT, "missing": 2}],
    **{
        f"shifts/notice_{kind}": [
            {**_SHIFT, "missing": 1, "minutes": 240, "volunteer": "Sarah <S>"}
        ]
        for kind in (
            "remind",
            "soon",
            "gap_leaders",
            "start",
            "late",
            "late_leaders",
            "end",
            "auto_out",
        )
    },
    "errors/shift_not_found": [{"ref": "S-99"}],
    "errors/shift_full": [{"ref": "S-12"}],
    "errors/shift_already_on": [{"ref": "S-12"}],
    "errors/shift_not_on": [{"ref": "S-12"}],
    "errors/shift_started": [{"ref": "S-12"}],
    "errors/shift_rule": [{"ref": "S-12", "violation": v} for v in _VIOLATIONS],
}
