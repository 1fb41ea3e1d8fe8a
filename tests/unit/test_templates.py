"""Both languages have the same templates and labels; every template renders valid Telegram HTML."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import LANGUAGES, TEMPLATE_DIR, Texts
from bot.sandbox.markup import MAX_TEXT, check_text
from handlers import ROUTERS
from models.people import SKILLS, Profile

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
        {"command": c} for c in ("bind", "leader", "unleader", "register", "lang", "other")
    ],
    "errors/leader_target": [{}],
    "errors/not_a_leader_target": [{}],
    "errors/not_a_volunteer": [{}],
    "errors/no_skills": [{}],
    "errors/foreign_contact": [{}],
    "errors/task_taken": [{"task_id": 4}],
    "errors/task_closed": [{"task_id": 4}],
    "hint_help": [{}],
    "bind/bound": [{**BUILDING, "previous": None}, {**BUILDING, "previous": "2号楼"}],
    "bind/unchanged": [{**BUILDING, "previous": None}],
    "bind/confirm": [{**BUILDING, "previous": "2号楼"}],
    "bind/kept": [{}],
    "leader/appointed": [
        {"who": "Sarah", "building": "2号楼", "changed": True},
        {"who": "Sarah", "building": "2号楼", "changed": False},
    ],
    "leader/removed": [{"who": "Sarah", "building": "2号楼"}],
    "leader/list": [
        {"building": "2号楼", "names": ["Sarah Lin", "徐海涛"]},
        {"building": "2号楼", "names": []},
    ],
    "register/done": [{**BUILDING, "room": "3-502"}],
    "wizard/lang": [{"who": "王秀英"}, {"who": ""}],
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
    ],
    "wizard/use_buttons": [{"step": s} for s in ("phone", "room", "lang")],
    "wizard/cancelled": [{"left": True}, {"left": False}],
    "volunteer/menu": [
        {"skills": ["Driving"], "available": True},
        {"skills": ["Driving"], "available": False},
    ],
    "volunteer/left": [{}],
    "volunteer/resting": [{}],
    "volunteer/back": [{}],
    "me/in_group": [{}],
    "me/profile": [
        {"p": PROFILE, "skills": ["Nursing", "Medical"]},
        {"p": NEWCOMER, "skills": []},
    ],
    "lang/set": [{"language": "中文"}],
    "forget/nothing": [{}],
    "forget/confirm": [{}],
    "forget/done": [{}],
    "forget/kept": [{}],
    "help": [
        {"commands": ["register", "leaders", "help"], "in_group": True},
        {"commands": ["start", "me"], "in_group": False},
    ],
}

LABEL_BUTTONS = (
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
)


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
    html = texts.render("zh", "me/profile", deep_link=_deep_link, p=PROFILE, skills=["护理"])
    assert len(html.splitlines()) == 7


def test_user_values_are_escaped(texts: Texts) -> None:
    """A name with '<' cannot inject markup."""
    html = texts.render("en", "me/profile", deep_link=_deep_link, p=PROFILE, skills=[])
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
