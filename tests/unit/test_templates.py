"""Both languages have the same templates and labels; every template renders valid Telegram HTML."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import LANGUAGES, TEMPLATE_DIR, Texts
from handlers import ROUTERS
from models.care import CareView
from models.groupbuy import Board, GroupBuy, ItemTotal, OrderChange, OrderLine
from models.people import SKILLS, Profile
from sandbox.markup import MAX_TEXT, check_text
from tests.unit.call_samples import CALL_SAMPLES
from tests.unit.help_samples import HELP_SAMPLES
from tests.unit.records_samples import NOT_SERVED, RECORDS_SAMPLES, SERVED
from tests.unit.report_samples import REPORT_SAMPLES
from tests.unit.rollcall_samples import ROLLCALL_SAMPLES
from tests.unit.roster_samples import ROSTER_SAMPLES
from tests.unit.shift_samples import SHIFT_SAMPLES
from tests.unit.task_samples import TASK_SAMPLES

PROFILE = Profile(
    name="刘芳 <Fang>",
    building_name="1号楼",
    household="3-502",
    household_size=2,
    phone="+8613800000003",
    leads=["1号楼"],
    is_volunteer=True,
    available=False,
    skills=["nursing", "medical"],
    minutes_served=125,
)
NEWCOMER = Profile(
    name="Emma",
    building_name=None,
    household=None,
    household_size=0,
    phone=None,
    leads=[],
    is_volunteer=False,
    available=True,
    skills=[],
    minutes_served=0,
)
BUILDING = {"building": "3号楼 & Co", "building_id": 3}
CARE = CareView(
    3,
    "C-3",
    "3号楼 & Co",
    "3-502",
    "王奶奶 <Wang>",
    ("elderly_alone", "chronic"),
    "量血压 <b>",
    None,
)
CARE_PAIRED = CareView(4, "C-4", "3号楼", "502", "李爷爷", ("disabled",), "", "张志愿 <Zhang>")
CARE_LONG = CareView(
    5,
    "C-5",
    "3号楼",
    "12-1201",
    "名" * 64,
    tuple(["elderly_alone", "disabled", "child_alone", "chronic", "pregnant", "other"]),
    "备" * 500,
    "志" * 128,
)
_CARE_COUNTS = {"total": 2, "gaps": 1}
_SAMPLE_TIME = datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _groupbuy(**changes: Any) -> GroupBuy:
    values: dict[str, Any] = {
        "id": 12,
        "title": "蔬菜套餐 <Veg & Co>",
        "status": "open",
        "chat_id": -1001,
        "building_id": 1,
        "deadline": _SAMPLE_TIME,
        "pickup_place": "3号门 Gate 3",
        "pickup_at": _SAMPLE_TIME.replace(day=26, hour=10),
        "min_units": 20,
        "cancel_reason": None,
        "arrived_at": None,
    }
    return GroupBuy(**(values | changes))


def _line(seq: int, room: str, unit: str, **extra: Any) -> OrderLine:
    values: dict[str, Any] = {
        "quantities": {"A": 2, "B": 1},
        "waitlisted": {},
        "amount_cents": 12850,
        "paid": False,
        "pickup_code": None,
        "picked_up": False,
    }
    values |= extra
    return OrderLine(seq, seq, seq, room, unit, int(room.split("-")[-1][:-2]), **values)


_ITEMS = [
    ItemTotal("A", "蔬菜包 5kg", 4500, 2, None, None, 14, 0),
    ItemTotal("B", "鸡蛋 30枚", 3850, None, 100, 0, 100, 3),
]
_LINES = [
    _line(1, "3-502", "3"),
    _line(2, "502", "", waitlisted={"B": 1}, paid=True),
    _line(3, "1-1201", "1", pickup_code="4821"),
]
BOARDS = [
    Board(_groupbuy(), _ITEMS, _LINES),
    Board(_groupbuy(status="closed", min_units=None, pickup_at=None), _ITEMS, []),
    Board(_groupbuy(status="cancelled", cancel_reason="缺货"), _ITEMS, _LINES),
    Board(_groupbuy(status="closed", arrived_at=_SAMPLE_TIME), _ITEMS, _LINES),
]

# Every template with the values its callers pass; several contexts where a template branches.
SAMPLES: dict[str, list[dict[str, Any]]] = {
    "errors/group_only": [{"command": "register"}],
    "errors/private_only": [{"command": "forgetme"}],
    "errors/unknown_command": [{"command": "frobnicate"}],
    "errors/stale_button": [{}],
    "errors/apology": [{}],
    "errors/anonymous": [{}],
    "errors/generic": [{}],
    "errors/not_leader": [{}],
    "errors/not_chat_admin": [{}],
    "errors/chat_not_bound": [{}],
    "errors/not_registered": [{"payload": ""}, {"payload": "b3"}],
    "errors/invalid_room": [{"text": "<b>五楼"}, {"text": ""}],
    "errors/usage": [
        {"command": c}
        for c in ("bind", "leader", "unleader", "coordinator", "register", "lang", "other")
    ]
    + [{"command": c} for c in ("assign", "roster", "myshifts")]
    + [{"command": c} for c in ("redeem", "certificate", "verify")],
    "errors/leader_target": [{}],
    "errors/not_a_leader_target": [{}],
    "errors/not_a_volunteer": [{}, {"private": True}, {"private": False}],
    "errors/no_skills": [{}],
    "care/added": [{"r": CARE, **_CARE_COUNTS}, {"r": CARE_PAIRED, **_CARE_COUNTS}],
    "care/added_group": [
        {"ref": "C-3", "told": True, "link": "https://t.me/b?start=cv3", **_CARE_COUNTS},
        {"ref": "C-3", "told": False, "link": "https://t.me/b?start=cv3", **_CARE_COUNTS},
    ],
    "care/list": [
        {"building": "3号楼", "rows": [CARE, CARE_PAIRED], "first": True, "gaps_only": False}
        | _CARE_COUNTS,
        {"building": "3号楼", "rows": [CARE_LONG] * 12, "first": False, "gaps_only": False}
        | _CARE_COUNTS,
        {"building": "3号楼", "rows": [], "first": True, "gaps_only": True} | _CARE_COUNTS,
        {"building": "3号楼", "rows": [], "first": True, "gaps_only": False, "total": 0, "gaps": 0},
    ],
    "care/counts_group": [{"building": "3号楼", "link": "https://t.me/b?start=cl1"} | _CARE_COUNTS],
    "care/paired": [
        {
            "r": CARE,
            "volunteer": "张 <Z>",
            "told": True,
            "link": "https://t.me/b?start=cv3",
            "changed": True,
        }
        | _CARE_COUNTS,
        {
            "r": CARE,
            "volunteer": "张",
            "told": False,
            "link": "https://t.me/b?start=cv3",
            "changed": False,
        }
        | _CARE_COUNTS,
    ],
    "care/paired_group": [
        {
            "ref": "C-3",
            "told": True,
            "leader_told": True,
            "link": "https://t.me/b?start=cv3",
            "changed": True,
        }
        | _CARE_COUNTS,
        {
            "ref": "C-3",
            "told": False,
            "leader_told": False,
            "link": "https://t.me/b?start=cv3",
            "changed": False,
        }
        | _CARE_COUNTS,
    ],
    "care/assigned": [
        {"r": CARE, "leader": "陈 <Chen>", "yours": True},
        {"r": CARE_PAIRED, "leader": "", "yours": False},
        {"r": CARE, "leader": "", "yours": False},
        {"r": CARE_LONG, "leader": "陈", "yours": True},
    ],
    "care/unpaired": [
        {"r": CARE, "released": "张 <Z>"} | _CARE_COUNTS,
        {"r": CARE, "released": None} | _CARE_COUNTS,
    ],
    "care/unpaired_group": [{"ref": "C-3"} | _CARE_COUNTS],
    "care/released": [{"r": CARE_PAIRED}],
    "care/mine": [
        {"rows": [CARE, CARE_PAIRED], "first": True, "count": 2},
        {"rows": [CARE_LONG] * 5, "first": False, "count": 12},
        {"rows": [], "first": True, "count": 0},
    ],
    "care/mine_in_group": [{"link": "https://t.me/b?start=mc7"}],
    "errors/care_usage": [{"topic": ""}, {"topic": "pair"}],
    "errors/care_add_syntax": [
        {"part": "room", "text": "<b>3号"},
        {"part": "room", "text": ""},
        {"part": "name", "text": ""},
        {"part": "needs", "text": ""},
    ],
    "errors/care_unknown_need": [{"text": "<b>馋"}],
    "errors/care_too_long": [
        {"field": "name", "length": 70, "limit": 64},
        {"field": "notes", "length": 501, "limit": 500},
    ],
    "errors/care_bad_ref": [{"text": "<b>X"}],
    "errors/care_not_found": [{"ref": "C-9"}],
    "errors/care_already_listed": [{"ref": "C-9"}],
    "errors/care_not_paired": [{"ref": "C-9"}],
    "errors/care_not_volunteer": [{}],
    "errors/care_which_building": [
        {"choices": ("3号楼", "5号楼 <x>"), "given": ""},
        {"choices": ("3号楼",), "given": "9号楼 <b>"},
    ],
    "errors/foreign_contact": [{}],
    "errors/task_taken": [{"task_id": 4}],
    "errors/help_bad_ref": [{"text": "<b>H"}],
    "errors/help_not_found": [{"ref": "H-9"}],
    "errors/help_empty": [{}],
    "errors/help_too_long": [{"length": 1200, "limit": 1000}],
    "errors/help_too_many_photos": [{"limit": 10}],
    "errors/help_own": [{"ref": "H-9"}],
    "errors/help_claim_private": [{"ref": "H-9", "request_id": 9, "payload": "hc9"}],
    "errors/help_not_yours": [{"ref": "H-9"}],
    "errors/help_not_your_request": [{"ref": "H-9"}],
    "errors/help_bad_minutes": [{"text": "lots", "limit": 1440}],
    "errors/help_not_done": [{"ref": "H-9"}],
    "errors/help_finished": [
        {"ref": "H-9", "status": "done"},
        {"ref": "H-9", "status": "cancelled"},
    ],
    "errors/task_closed": [{"task_id": 4}],
    "errors/when_bad_time": [{"text": "<b>明天"}, {"text": ""}],
    "errors/when_in_past": [{"text": "9:00", "when": _SAMPLE_TIME}],
    "errors/shift_syntax": [
        {"expected": e, "text": t, "command": c}
        for e in ("parts", "post", "time", "until", "people", "skill")
        for t in ("", "<b>门岗")
        for c in ("shift", "call")
    ],
    "errors/shift_bad_range": [{"text": "08:00-08:00"}, {"text": ""}],
    "errors/shift_in_past": [{"when": _SAMPLE_TIME, "text": "今天 08:00-12:00"}],
    "errors/shift_bad_people": [{"text": "201", "limit": 200}, {"text": "", "limit": 200}],
    "errors/shift_unknown_skill": [{"text": "<魔法>"}, {"text": ""}],
    "errors/shift_too_many": [{"count": 32, "limit": 31}, {"count": 0, "limit": 31}],
    "errors/gb_syntax": [
        {"line": "A 蔬菜包 <5kg> 45", "expected": e}
        for e in ("item", "deadline", "pickup", "min", "title", "unknown")
    ],
    "errors/gb_duplicate_code": [{"code": "A"}],
    "errors/gb_duplicate_field": [{"field": f} for f in ("deadline", "pickup", "min")],
    "errors/gb_bad_price": [{"line": "A 蔬菜包 | -45 & up", "code": "A"}],
    "errors/gb_bad_limit": [{"line": "B 鸡蛋 | 38.5 | max 0", "code": "B"}],
    "errors/gb_missing_field": [{"field": f} for f in ("title", "deadline", "item")],
    "errors/gb_bad_quantity": [{"text": "A1000", "kind": "order"}, {"text": "0", "kind": "min"}],
    "errors/gb_too_many_items": [{"count": 27}],
    "errors/gb_pickup_before_deadline": [
        {"pickup_at": _SAMPLE_TIME, "deadline": _SAMPLE_TIME.replace(hour=20)}
    ],
    "errors/gb_unknown_item": [{"code": "C", "codes": ("A", "B")}, {"code": "Z", "codes": ("A",)}],
    "errors/gb_ambiguous_plus": [{"codes": ("A", "B", "C")}],
    "errors/gb_order_syntax": [
        {"text": "<i>hello", "example": "A2 B1"},
        {"text": "", "example": "A2"},
    ],
    "hint_help": [{}],
    "bind/bound": [
        {**BUILDING, "previous": None, "volunteers": False},
        {**BUILDING, "previous": "2号楼", "volunteers": False},
        {**BUILDING, "previous": None, "volunteers": True},
    ],
    "bind/unchanged": [
        {**BUILDING, "previous": None, "volunteers": False},
        {**BUILDING, "previous": None, "volunteers": True},
    ],
    "bind/confirm": [{**BUILDING, "previous": "2号楼"}],
    "bind/kept": [{}],
    "greet/added": [{"building": None}, {"building": "3号楼 & Co"}],
    "leader/appointed": [
        {"who": "Sarah", "building": "2号楼", "changed": True},
        {"who": "Sarah", "building": "2号楼", "changed": False},
    ],
    "leader/removed": [{"who": "Sarah", "building": "2号楼"}],
    "leader/list": [
        {"building": "2号楼", "names": ["Sarah Lin", "徐海涛"]},
        {"building": "2号楼", "names": []},
    ],
    "register/done": [
        {**BUILDING, "room": "3-502", "status": status, "asked": asked}
        for status in ("founded", "unchanged", "pending")
        for asked in (None, 0, 2)
    ],
    "register/check_private": [BUILDING],
    "register/today": [
        {"building": "3号楼", "rooms": ["3-502", "101"], "hidden": 0, "count": 2},
        {"building": "3号楼", "rooms": ["101"], "hidden": 4, "count": 5},
        {"building": "3号楼", "rooms": [], "hidden": 0, "count": 0},
    ],
    "bind/requested": [{**BUILDING, "previous": None, "asked": asked} for asked in (None, 0, 2)],
    "bind/request": [{"group": "3号楼 <群>", "building": "3号楼", "requester": "Eve"}],
    **{
        name: [
            {**BUILDING, "group": "3号楼群", "approver": "陈", "approved": approved}
            for approved in (True, False)
        ]
        for name in ("bind/decided", "bind/request_answered")
    },
    "bind/approved": [{**BUILDING, "group": "3号楼群", "approver": "陈", "approved": True}],
    "bind/rejected": [{**BUILDING, "group": "3号楼群", "approver": "陈", "approved": False}],
    "errors/binding_pending": [{"building": "3号楼"}],
    "errors/not_coordinator": [{}],
    "errors/request_decided": [{}],
    "errors/move_needs_leader": [{"building": "3号楼"}],
    "errors/registration_pending": [{}],
    "errors/not_household_member": [{}],
    "coordinator/appointed": [{"who": "Sarah", "changed": c} for c in (True, False)],
    "pending/none": [{}],
    "household/request": [
        {"applicant": "Eve", "room": "3-502", "building": "3号楼", "as_leader": a}
        for a in (True, False)
    ],
    "household/decided": [
        {"applicant": "Eve", "room": "3-502", "building": "3号楼", "approved": a}
        for a in (True, False)
    ],
    "household/answered": [
        {"room": "3-502", "building": "3号楼", "approved": a} for a in (True, False)
    ],
    "household/member_left": [{"who": "Eve", "room": "3-502"}],
    "wizard/lang": [
        {"who": "王秀英", "editing": False},
        {"who": "", "editing": False},
        {"who": "王秀英", "editing": True},
    ],
    "wizard/registered": [
        {"building": "1号楼 <B1>", "room": "3-502", "phone": True},
        {"building": "1号楼", "room": "502", "phone": False},
    ],
    "wizard/bad_room": [{"text": "<b>五楼"}, {"text": ""}],
    "wizard/lang_chosen": [{"language": "English", "who": "Emma"}],
    "wizard/skill_toggled": [
        {"skill": "Medical", "added": True},
        {"skill": "Medical", "added": False},
    ],
    "wizard/building": [{"chosen": None}, {"chosen": "1号楼"}],
    "wizard/no_buildings": [{}],
    "wizard/room": [{"building": "1号楼"}],
    "wizard/phone": [{"building": "1号楼", "room": "502"}],
    "wizard/phone_saved": [{"saved": True}, {"saved": False}],
    "wizard/volunteer": [{"chosen": None}, {"chosen": True}, {"chosen": False}],
    "wizard/skills": [
        {"selected": [], "finished": False},
        {"selected": ["Medical", "IT"], "finished": False},
        {"selected": ["Medical"], "finished": True},
    ],
    "wizard/done": [
        {"flow": "onboard", "skills": ["Medical"]},
        {"flow": "onboard", "skills": []},
        {"flow": "skills", "skills": ["IT"]},
        {"flow": "volunteer", "skills": []},
        {"flow": "room", "skills": []},
        {"flow": "lang", "skills": []},
    ],
    "wizard/use_buttons": [{"step": s} for s in ("phone", "room", "lang")],
    "wizard/cancelled": [{"left": True}, {"left": False}],
    "volunteer/menu": [
        {"skills": ["Driving"], "available": True},
        {"skills": ["Driving"], "available": False},
    ],
    "volunteer/left": [{}],
    "volunteer/leave_confirm": [{}],
    "volunteer/stayed": [{}],
    "volunteer/resting": [{}],
    "volunteer/back": [{}],
    "me/in_group": [{}],
    "me/profile": [
        {"p": PROFILE, "skills": ["Nursing", "Medical"], "served": SERVED},
        {"p": PROFILE, "skills": ["Nursing"], "served": NOT_SERVED},
        {"p": NEWCOMER, "skills": [], "served": NOT_SERVED},
        {"p": NEWCOMER, "skills": [], "served": SERVED},
    ],
    "lang/set": [{"language": "中文"}],
    "lang/group_set": [{"language": "English"}],
    "forget/nothing": [{}],
    "forget/confirm": [{}],
    "forget/done": [{}],
    "forget/kept": [{}],
    "help": [
        {"commands": ["register", "leaders", "help"], "in_group": True},
        {"commands": ["start", "me"], "in_group": False},
    ],
    "groupbuy/form": [{}],
    "groupbuy/card": [
        {"board": b, "shown": b.lines, "hidden": h, "accepting": a}
        for b in BOARDS
        for h, a in ((0, True), (940, False))
    ],
    "groupbuy/promoted": [{"title": "蔬菜", "units": [("B", 1), ("A", 2)]}],
    "groupbuy/summary": [{"board": b, "building": "3号楼"} for b in BOARDS],
    "groupbuy/distribution": [
        {"board": BOARDS[0], "lines": BOARDS[0].distribution(), "part": 1, "parts": 1},
        {"board": BOARDS[1], "lines": [], "part": 2, "parts": 3},
    ],
    "groupbuy/unpaid": [{"board": b, "unpaid": b.unpaid} for b in BOARDS[:2]],
    "groupbuy/decide": [{"board": BOARDS[0]}],
    "groupbuy/closed": [
        {"title": "蔬菜", "link": None},
        {"title": "蔬菜", "link": "https://t.me/linli_bot?start=gp12"},
    ],
    "groupbuy/reopened": [{"title": "蔬菜", "deadline": _SAMPLE_TIME}],
    "groupbuy/extended": [{"title": "蔬菜", "deadline": _SAMPLE_TIME}],
    "groupbuy/cancelled": [{"title": "蔬菜", "reason": "供应商缺货 <out>"}],
    "groupbuy/cancelled_done": [{"title": "蔬菜", "told": n} for n in (0, 1, 12)],
    "groupbuy/paid": [
        {"title": "蔬菜", "line": line, "room": room}
        for line in _LINES[:2]
        for room in (True, False)
    ],
    "groupbuy/sent_privately": [{}],
    "groupbuy/export_caption": [{"board": BOARDS[0]}],
    "groupbuy/pickup_code": [
        {"board": BOARDS[3], "code": "4821", "line": _LINES[2]},
        {"board": BOARDS[1], "code": "4821", "line": None},
    ],
    "groupbuy/arrived_notice": [{"board": b, "sent": 1, "total": 1} for b in BOARDS]
    + [{"board": BOARDS[3], "sent": 2, "total": 3}],
    "groupbuy/arrived_done": [
        {"board": BOARDS[3], "sent": 1, "unreachable": ["3-502", "502"]},
        {"board": BOARDS[3], "sent": 3, "unreachable": []},
    ],
    "groupbuy/picked": [
        {"title": "蔬菜", "line": _LINES[2], "code": "482193"},
        {"title": "蔬菜", "line": _LINES[2], "code": None},
    ],
    "groupbuy/open_privately": [{"link": "https://t.me/linli_bot?start=gs12"}],
    "groupbuy/pack_link": [{"title": "蔬菜 <v>", "link": "https://t.me/linli_bot?start=gp12"}],
    "groupbuy/reply_hint": [{"title": "蔬菜"}],
    "groupbuy/nothing_ordered": [{"title": "蔬菜"}],
    "groupbuy/repeat_title": [{"title": "蔬菜"}],
    "groupbuy/repeat_opened": [{"title": "蔬菜"}],
    "groupbuy/repeat_dropped": [{"title": "蔬菜"}],
    "groupbuy/uncollected": [
        {"board": BOARDS[3], "waiting": BOARDS[3].uncollected},
        {"board": BOARDS[1], "waiting": []},
    ],
    "groupbuy/joined": [
        {"change": OrderChange(BOARDS[0].groupbuy, 1, {"A": 2}, {"B": 1}, 9000)},
        {"change": OrderChange(BOARDS[0].groupbuy, 1)},
    ],
    "groupbuy/mine": [
        {"groupbuy": BOARDS[0].groupbuy, "line": _LINES[2]},
        {"groupbuy": BOARDS[0].groupbuy, "line": None},
    ],
    "groupbuy/tapped": [
        {"change": OrderChange(BOARDS[0].groupbuy, 1, {"A": 2}, {"B": 1}, 9000)},
        {"change": OrderChange(BOARDS[0].groupbuy, 1)},
    ],
    "groupbuy/withdrawn": [{"title": "蔬菜"}],
    "errors/groupbuy_finished": [{"title": "蔬菜"}],
    "errors/groupbuy_not_found": [{"ref": "99"}],
    "errors/groupbuy_none_here": [{}],
    "errors/groupbuy_which": [{"choices": [(12, "蔬菜"), (13, "水果 <fruit>")]}],
    "errors/groupbuy_over_limit": [{"code": "A", "limit": 2}],
    "errors/groupbuy_no_order_for_room": [{"room": "3-502"}],
    "errors/groupbuy_not_arrived": [{"title": "蔬菜"}],
    "errors/groupbuy_unknown_code": [{"code": "0000"}, {"code": None}],
    "errors/groupbuy_already_picked": [
        {"code": "482193", "room": "3-502"},
        {"code": None, "room": "3-502"},
    ],
    "errors/groupbuy_too_many_tries": [{"minutes": 1}, {"minutes": 7}],
    "errors/groupbuy_not_your_room": [
        {"room": "1-506", "own": "3-502"},
        {"room": "506", "own": ""},
    ],
    "errors/groupbuy_not_gatekeeper": [{}],
    "errors/groupbuy_other_building": [{"building": "3号楼 <B3>"}],
}

LABEL_BUTTONS = (
    "thanks_out",
    "thanks_in",
    "call_coming",
    "swap_take",
    "rebind_yes",
    "rebind_no",
    "share_phone",
    "skip",
    "yes_volunteer",
    "not_now",
    "done",
    "edit_skills",
    "leave_pool",
    "forget_yes",
    "forget_no",
    "edit_room",
    "edit_phone",
    "edit_volunteering",
    "edit_language",
    "leave_pool_yes",
    "leave_pool_no",
)
SAMPLES.update(HELP_SAMPLES)
SAMPLES.update(SHIFT_SAMPLES)
SAMPLES.update(TASK_SAMPLES)
SAMPLES.update(ROLLCALL_SAMPLES)
SAMPLES.update(ROSTER_SAMPLES)
SAMPLES.update(CALL_SAMPLES)
SAMPLES.update(RECORDS_SAMPLES)
SAMPLES.update(REPORT_SAMPLES)


def _names() -> list[str]:
    return sorted(
        p.relative_to(TEMPLATE_DIR / "zh").with_suffix("").as_posix()
        for p in (TEMPLATE_DIR / "zh").rglob("*.j2")
        if p.name != "labels.j2"
    )


@pytest.fixture(scope="module")
def texts() -> Texts:
    """The real template set."""
    return Texts(ZoneInfo("Asia/Shanghai"))


def _deep_link(payload: str) -> str:
    return f"https://t.me/linli_bot?start={payload}"


def test_both_languages_have_the_same_templates(texts: Texts) -> None:
    """A message added in one language only would crash for the other language's speakers."""
    assert texts.template_names("zh") == texts.template_names("en")


def test_both_languages_have_the_same_label_macros(texts: Texts) -> None:
    """Buttons and command menus exist in both languages."""
    assert texts.label_names("zh") == texts.label_names("en")


def test_every_template_has_sample_values(texts: Texts) -> None:
    """A new template must be added to SAMPLES, so the render test below covers it."""
    names = texts.template_names("zh") - {"labels"}
    assert names == set(SAMPLES), (
        f"missing samples: {sorted(names - set(SAMPLES))}; "
        f"samples for no template: {sorted(set(SAMPLES) - names)}"
    )


@pytest.mark.parametrize("name", _names())
@pytest.mark.parametrize("lang", LANGUAGES)
def test_template_renders_telegram_html(texts: Texts, lang: str, name: str) -> None:
    """Each sample context renders to non-empty HTML that Telegram accepts, with values escaped."""
    for values in SAMPLES[name]:
        html = texts.render(lang, name, deep_link=_deep_link, **values)
        text, _entities = check_text(html, parse_mode="HTML")
        assert len(text) <= MAX_TEXT
        assert "None" not in text, f"{lang}/{name} printed a missing value: {text!r}"
        assert "{{" not in html and "{%" not in html


def test_block_tags_keep_line_breaks() -> None:
    """trim_blocks eats the newline after `%}`: a line ending in a block tag must use `+%}`."""
    for path in TEMPLATE_DIR.rglob("*.j2"):
        if path.name == "labels.j2":
            continue  # macros rely on trimming
        lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        for number, line in enumerate(lines[:-1], 1):
            assert not (line.endswith("%}") and not line.endswith("+%}")), f"{path}:{number}"


def test_profile_lines(texts: Texts) -> None:
    """Each profile fact is on its own line (a regression: trimmed newlines glued them)."""
    html = texts.render(
        "zh", "me/profile", deep_link=_deep_link, p=PROFILE, skills=["护理"], served=SERVED
    )
    assert len(html.splitlines()) == 10


def test_user_values_are_escaped(texts: Texts) -> None:
    """A name with '<' cannot inject markup."""
    html = texts.render(
        "en", "me/profile", deep_link=_deep_link, p=PROFILE, skills=[], served=SERVED
    )
    assert "&lt;Fang&gt;" in html


def test_command_labels_cover_every_command(texts: Texts) -> None:
    """setMyCommands and /help describe every command in both languages (≤256 chars each)."""
    commands = {name for router in ROUTERS for name in router.commands}
    for lang in LANGUAGES:
        for name in commands:
            label = texts.label(lang, "command", name)
            assert label and label != name, f"{lang} has no description for /{name}"
            assert len(label) <= 256


def test_skill_and_button_labels_exist(texts: Texts) -> None:
    """Every skill and button has a short, non-empty label in both languages."""
    for lang in LANGUAGES:
        for skill in SKILLS:
            assert texts.label(lang, "skill", skill) not in ("", skill), f"{lang}: {skill}"
        for button in LABEL_BUTTONS:
            assert 0 < len(texts.label(lang, button)) <= 32
        assert texts.label(lang, "language", "zh") == "中文"


@pytest.mark.parametrize(
    ("lang", "minutes", "expected"),
    [("zh", 125, "2 小时 5 分钟"), ("zh", 0, "0 分钟"), ("en", 60, "1 h"), ("en", 61, "1 h 1 min")],
)
def test_duration_label(texts: Texts, lang: str, minutes: int, expected: str) -> None:
    """Hours served read naturally."""
    assert texts.label(lang, "duration", minutes) == expected
