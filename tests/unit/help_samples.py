"""Sample values for the help-request templates (test_templates renders each in both languages)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

_DUE = datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_CARD = {
    "ref": "H-17",
    "building": "3号楼 & Co",
    "unit": "3",
    "category": "medicine",
    "urgency": "urgent",
}
_DATA = {"category": "food", "urgency": "today", "description": "<米> 5kg", "whom": "self"}


def _help(ref: str, unit: str, category: str = "medicine", urgency: str = "today") -> Any:
    request = SimpleNamespace(id=int(ref[2:]), unit=unit, category=category, urgency=urgency)
    return SimpleNamespace(ref=ref, request=request)


_ROWS = [
    SimpleNamespace(
        help=_help("H-1", "3"), building="3号楼", assignee=None, overdue=False, escalated=True
    ),
    SimpleNamespace(
        help=_help("H-2", ""), building="5号楼", assignee="Sarah", overdue=True, escalated=False
    ),
    SimpleNamespace(
        help=_help("H-3", ""),
        building="5号楼",
        assignee="<b>Li</b>",
        overdue=False,
        escalated=False,
    ),
]

HELP_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "help/ask_category": [{}],
    "help/ask_existing": [{"ref": "H-3", "category": "food"}],
    "help/ask_urgency": [{"category": "psych"}],
    "help/recap": [
        {"summary": {"category": "care"}},
        {"summary": {"category": "care", "urgency": "urgent", "whom": "neighbour"}},
        {"summary": {"category": "care", "add_to": 3}},
    ],
    "help/emergency": [{"number": "120"}],
    "help/ask_description": [{"adding": False}, {"adding": True}],
    "help/ask_whom": [{}],
    "help/ask_neighbour": [{}],
    "help/bad_neighbour_room": [{"text": "<五楼>"}],
    "help/ask_confirm": [
        {"summary": _DATA, "home": "3-502", "chosen": None},
        {
            "summary": {**_DATA, "whom": "neighbour", "neighbour_room": "3-601"},
            "home": "3-502",
            "chosen": "send",
        },
        {"summary": {"add_to": 4, "description": "还要面包"}, "home": "502", "chosen": "drop"},
        {"summary": {**_DATA, "photos": ["AgAC1", "AgAC2"]}, "home": "3-502", "chosen": None},
    ],
    "help/photo_kept": [{}],
    "help/photo_caption": [{"ref": "H-17", "number": 1, "count": 2}],
    "help/use_buttons": [{"step": s} for s in ("category", "description", "neighbour")],
    "help/dropped": [{}],
    "help/added": [{"ref": "H-4"}],
    "help/in_group": [{}],
    "help/offer": [{}],
    "help/filed": [
        {
            "ref": "H-17",
            "category": "medical",
            "urgency": "urgent",
            "asked": asked,
            "carded": carded,
            "emergency": asked == 3,
            "number": "120",
        }
        for asked, carded in ((3, True), (1, False), (0, True), (0, False))
    ],
    "help/card": [
        {**_CARD, "status": s, "current": True} for s in ("open", "claimed", "done", "cancelled")
    ]
    + [{**_CARD, "unit": "", "status": "open", "current": False}],
    "help/ping": [
        {**_CARD, "status": s, "mine": m}
        for s, m in (("open", False), ("claimed", True), ("claimed", False), ("done", False))
    ],
    "help/details": [
        {
            "update": update,
            "ref": "H-17",
            "category": "medicine",
            "urgency": "urgent",
            "building": "3号楼",
            "room": "3-502",
            "whom": whom,
            "requester": requester,
            "phone": phone,
            "description": "降压药 <硝苯地平> 2 盒",
            "additions": additions,
            "photos": photos,
            "due": _DUE,
        }
        for update, whom, requester, phone, additions, photos in (
            (False, "self", "王阿姨", "13800138000", [], 2),
            (True, "neighbour", None, None, ["还要体温计"], 0),
        )
    ],
    "help/taken": [{"ref": "H-17", "volunteer": "<Sarah>"}],
    "help/taken_toast": [{"ref": "H-17"}],
    "help/ask_minutes": [{"ref": "H-17"}],
    "help/done": [{"ref": "H-17", "minutes": 90}],
    "help/finished": [{"ref": "H-17", "volunteer": "Sarah"}],
    "help/rated": [{"ref": "H-17", "stars": 4}],
    "help/released": [{"ref": "H-17"}],
    "help/released_requester": [{"ref": "H-17"}],
    "help/cancelled": [{"ref": "H-17"}],
    "help/cancelled_volunteer": [{"ref": "H-17"}],
    "help/board": [{"rows": _ROWS, "more": 0}, {"rows": [], "more": 0}, {"rows": _ROWS, "more": 4}],
    "help/mytasks": [
        {
            "mine": [(_help("H-1", "3"), "3-502")],
            "claimable": [_help("H-2", ""), _help("H-3", "2", "care", "urgent")],
            "buildings": {1: "3号楼", 2: "5号楼", 3: "5号楼"},
            "more": 2,
        },
        {"mine": [], "claimable": [], "buildings": {}, "more": 0},
    ],
    "help/escalated": [
        {
            "step": step,
            "ref": "H-17",
            "category": "food",
            "urgency": "today",
            "building": "3号楼",
            "room": "3-502",
            "waited": 130,
            "volunteer": "Sarah" if step.startswith("overdue") else None,
        }
        for step in (
            "unclaimed_leaders",
            "unclaimed_coordinators",
            "overdue_volunteer",
            "overdue_leaders",
        )
    ],
}
