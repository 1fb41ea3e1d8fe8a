"""Sample values for the roster templates (test_templates renders each in both languages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

_START = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_END = _START + timedelta(hours=4)
_MIDNIGHT = datetime(2026, 11, 26, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _view(ref: str, filled: int, people: int, names: list[str]) -> Any:
    shift = SimpleNamespace(
        ref=ref, post="门岗 <Gate>", starts_at=_START, ends_at=_END, filled=filled, people=people
    )
    return SimpleNamespace(shift=shift, missing=max(0, people - filled), names=names)


def _warning(rule: str, **values: Any) -> Any:
    fields = {"day": None, "would_have": None, "limit": None, "skill": None, **values}
    return SimpleNamespace(rule=rule, **fields)


_WARNINGS = [
    None,
    _warning("overlap"),
    _warning(
        "day", day=date(2026, 11, 26), would_have=timedelta(hours=10), limit=timedelta(hours=8)
    ),
    _warning(
        "week", day=date(2026, 11, 23), would_have=timedelta(hours=42.5), limit=timedelta(hours=40)
    ),
    _warning("rest", would_have=timedelta(hours=4), limit=timedelta(hours=8)),
    _warning("skill", skill="medical"),
]
_CROWD = [f"志愿者{n} <v{n}>" for n in range(30)]

ROSTER_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "shifts/assigned": [
        {
            "ref": "S-12",
            "post": "门岗 <Gate>",
            "who": "Sarah <S>",
            "filled": 2,
            "people": 3,
            "warning": warning,
            "told": told,
        }
        for warning in _WARNINGS
        for told in (True, False)
    ],
    "shifts/assigned_volunteer": [
        {"ref": "S-12", "post": "门岗 <Gate>", "start": _START, "end": _END}
    ],
    "shifts/roster": [
        {
            "building": "3号楼 & Co",
            "period": period,
            "start": _MIDNIGHT,
            "views": views,
            "more": more,
        }
        for period in ("today", "week")
        for views, more in (
            ([_view("S-1", 1, 3, ["Sarah"]), _view("S-2", 2, 2, ["A", "B"])], 0),
            ([_view("S-3", 30, 40, _CROWD), _view("S-4", 0, 2, [])], 1),
            ([], 0),
        )
    ],
    "shifts/roster_export_caption": [
        {"shifts": 1, "filled": 2, "slots": 3},
        {"shifts": 12, "filled": 0, "slots": 0},
    ],
    "shifts/ics_caption": [{"shifts": 0}, {"shifts": 1}, {"shifts": 5}],
    "errors/not_in_pool": [{"name": "Tom <T>"}, {"name": ""}],
    "errors/roster_which_building": [{}],
}
