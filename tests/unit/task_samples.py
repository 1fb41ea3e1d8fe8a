"""Sample values for the task board templates (test_templates renders each in both languages)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

_DUE = datetime(2026, 11, 26, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _row(kind: str, ref: str, status: str, **values: Any) -> Any:
    task = SimpleNamespace(
        kind=kind, status=status, details=values.pop("details", {}), due_at=values.pop("due", None)
    )
    return SimpleNamespace(
        task=task,
        ref=ref,
        mine=values.get("mine", False),
        assignee=values.get("assignee"),
        overdue=values.get("overdue", False),
    )


_ROWS = [
    _row("help", "H-17", "open", details={"urgency": "urgent"}, due=_DUE),
    _row("shift_slot", "S-3", "open", due=_DUE, overdue=True),
    _row("care_gap", "C-2", "open"),
    _row("rollcall_followup", "#40", "claimed", mine=True),
    _row("pickup", "#41", "claimed", assignee="<Sarah>"),
    _row("something_new", "#42", "claimed"),
]

TASK_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "tasks/board": [
        {"board": SimpleNamespace(leader=leader, filter=f, rows=rows, page=p, pages=n, total=t)}
        for leader, f, rows, p, n, t in (
            (True, "all", _ROWS, 1, 1, 6),
            (False, "mine", _ROWS[:2], 2, 3, 30),
            (True, "overdue", [], 1, 1, 0),
        )
    ],
    "tasks/taken": [
        {"kind": "rollcall_followup", "ref": "#40", "room": "3-502"},
        {"kind": "rollcall_followup", "ref": "#40", "room": None},
    ],
    "tasks/finished": [{"kind": "rollcall_followup", "ref": "#40"}],
    "errors/task_filter": [{"text": "<x>", "choices": ("mine", "overdue", "help")}],
}
