"""The /shift and /call lines leaders type, read into plain values (no database, no chat text).

    /shift 门岗 Gate duty | 2026-11-26 08:00-12:00 | 3
    /shift 核酸点 Testing site | daily 08:00-12:00 for 7 days | 4 | skill: medical
    /call 搬物资 Unload supplies | until 18:00 | 6

Parts are separated by `|`; any mistake raises one DomainError naming the part, so nothing is
created half-way. Times are aware datetimes in the community zone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.errors import (
    BadPeople,
    BadTime,
    BadTimeRange,
    DeadlineInPast,
    ShiftInPast,
    ShiftSyntax,
    TooManyOccurrences,
    UnknownShiftSkill,
)
from models.people import SKILLS
from models.when import parse_when

POST_MAX = 60  # the shift card repeats the post on every update
MAX_PEOPLE = 200
MAX_OCCURRENCES = 31  # a month of daily shifts: longer plans change before they happen
MAX_DURATION = timedelta(hours=24)

# Words people type for each skill (compared casefolded, with `_`/`-` read as spaces).
_SKILL_WORDS = {
    "medical": ("医疗", "医生", "医护", "医务", "急救", "doctor", "medic", "first aid"),
    "nursing": ("护理", "护士", "nurse"),
    "psych": ("心理", "心理咨询", "心理疏导", "psychology", "psychological", "counselling",
              "counseling", "mental health"),
    "driving": ("开车", "司机", "驾驶", "driver", "drive"),
    "delivery": ("跑腿", "配送", "送货", "送餐", "快递", "errands", "courier"),
    "elderly_care": ("照顾老人", "陪护", "养老", "助老", "elderly", "elder care", "eldercare"),
    "translation": ("翻译", "translator", "interpreter", "interpreting"),
    "it": ("电脑", "网络", "技术", "computer", "computers", "tech"),
    "legal": ("法律", "律师", "law", "lawyer"),
    "other": ("其他", "其它"),
}  # fmt: skip
_SKILL_OF = {
    **{word: key for key, words in _SKILL_WORDS.items() for word in words},
    **{key.replace("_", " "): key for key in SKILLS},
}
_SKILL_PREFIX = re.compile(r"(?:skills?|技能|需要技能|需要)\s*:?\s*")

_CLOCK = r"[0-9]{1,2}:[0-9]{2}"
# NFKC folds `～` and `－` to ASCII but leaves en/em dashes and the wave dash alone.
_RANGE = rf"(?P<start>{_CLOCK})\s*(?:-|~|–|—|〜|至|到)\s*(?P<end>{_CLOCK})"
_DATE = (
    r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}"
    r"|(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}[日号]"
    r"|today|tomorrow|day after tomorrow|今天|明天|后天"
)
_ONCE = re.compile(rf"(?:(?P<date>{_DATE})\s*)?{_RANGE}")
_DAILY = re.compile(
    rf"(?:daily|every day|每天|每日)\s*{_RANGE}"
    r"\s*(?:for\s*|共\s*)?(?P<count>[0-9]{1,4})\s*(?:days?|天)"
)
_PEOPLE = re.compile(
    r"(?:需要\s*)?(?P<n>[0-9]+)\s*(?:人|名|位|个人|people|persons?|volunteers?|ppl)?"
)
_UNTIL = re.compile(r"^(?:until|till|til|by|直到|到|至)\s*")


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    """A shift to staff: what post, when (one start per occurrence), how long, how many, skill."""

    post: str
    starts: tuple[datetime, ...]
    duration: timedelta
    people: int
    skill: str | None

    @property
    def ends(self) -> tuple[datetime, ...]:
        """Each occurrence's end on the wall clock (22:00 + 8 h ends 06:00 the next morning)."""
        # Aware arithmetic within one zone is wall-clock arithmetic, as the leader typed it.
        return tuple(start + self.duration for start in self.starts)


def parse_shift(text: str, *, now: datetime, tz: ZoneInfo) -> ShiftSpec:
    """Read the text after /shift (`post | date HH:MM-HH:MM | people [| skill]`)."""
    _require_aware(now)
    post, when, people, skill = _parts(text, "shift")
    starts, duration = _schedule(when, now=now, tz=tz)
    return ShiftSpec(
        post=post,
        starts=starts,
        duration=duration,
        people=_people(people, "shift"),
        skill=_skill(skill, "shift"),
    )


def parse_call(text: str, *, now: datetime, tz: ZoneInfo) -> ShiftSpec:
    """Read the text after /call (`what | until HH:MM or +2h | people [| skill]`): starts now."""
    _require_aware(now)
    post, until, people, skill = _parts(text, "call")
    start = now.astimezone(tz)
    try:
        end = parse_when(_UNTIL.sub("", until.casefold(), count=1), now=now, tz=tz)
    except BadTime:
        raise ShiftSyntax(expected="until", text=until, command="call") from None
    if end <= now:
        raise DeadlineInPast(text=until, when=end)
    duration = _wall(end) - _wall(start)
    if duration > MAX_DURATION:
        raise BadTimeRange(text=until)
    return ShiftSpec(
        post=post,
        starts=(start,),
        duration=duration,
        people=_people(people, "call"),
        skill=_skill(skill, "call"),
    )


def parse_skill(text: str) -> str:
    """The SKILLS key for a typed skill ("医疗", "Elderly care", "skill: 开车"); else raise."""
    typed = _normalise(text).casefold()
    word = _SKILL_PREFIX.sub("", typed, count=1) if _SKILL_PREFIX.match(typed) else typed
    key = _SKILL_OF.get(re.sub(r"[\s_-]+", " ", word).strip())
    if key is None:
        raise UnknownShiftSkill(text=text.strip())
    return key


def _parts(text: str, command: str) -> tuple[str, str, str, str | None]:
    parts = [_normalise(part) for part in _normalise(text).split("|")]
    if not 3 <= len(parts) <= 4:
        raise ShiftSyntax(expected="parts", text=text.strip(), command=command)
    post, when, people, *rest = parts
    if not post or len(post) > POST_MAX:
        raise ShiftSyntax(expected="post", text=post, command=command)
    if not when:
        raise ShiftSyntax(expected="until" if command == "call" else "time", command=command)
    if not people:
        raise ShiftSyntax(expected="people", command=command)
    skill = rest[0] if rest else None
    if skill == "":
        raise ShiftSyntax(expected="skill", command=command)
    return post, when, people, skill


def _schedule(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[tuple[datetime, ...], timedelta]:
    """The starts and duration of `2026-11-26 08:00-12:00` or `daily 08:00-12:00 for 7 days`."""
    typed = text.casefold()
    daily = _DAILY.fullmatch(typed)
    once = None if daily else _ONCE.fullmatch(typed)
    match = daily or once
    if match is None:
        raise ShiftSyntax(expected="time", text=text)
    start_clock, duration = _range(match["start"], match["end"], text)
    today = now.astimezone(tz).date()
    if daily:
        count = int(daily["count"])
        if count == 0:
            raise ShiftSyntax(expected="time", text=text)
        if count > MAX_OCCURRENCES:
            raise TooManyOccurrences(count=count, limit=MAX_OCCURRENCES)
        # A daily shift whose time has passed today begins tomorrow rather than in the past.
        first = today if _local(today, start_clock, tz) > now else today + timedelta(days=1)
        days = [first + timedelta(days=n) for n in range(count)]
        return tuple(_local(day, start_clock, tz) for day in days), duration
    day = _day(match["date"], text, now=now, tz=tz) if match["date"] else today
    start = _local(day, start_clock, tz)
    if start <= now:
        raise ShiftInPast(when=start, text=text)
    return (start,), duration


def _range(start_text: str, end_text: str, text: str) -> tuple[time, timedelta]:
    """The start clock and the duration; an end at or before the start is the next morning."""
    start, end = _clock(start_text, text), _clock(end_text, text, allow_24=True)
    minutes = (end - start) % (24 * 60)
    if minutes == 0:
        raise BadTimeRange(text=text)
    return time(start // 60, start % 60), timedelta(minutes=minutes)


def _clock(typed: str, text: str, *, allow_24: bool = False) -> int:
    """Minutes after midnight of `HH:MM`; `24:00` only as an end."""
    hour, minute = (int(n) for n in typed.split(":"))
    if (hour, minute) == (24, 0) and allow_24:
        return 24 * 60
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise BadTimeRange(text=text)
    return hour * 60 + minute


def _day(typed: str, text: str, *, now: datetime, tz: ZoneInfo) -> date:
    # models/when already knows day words and which year a month-day without one means.
    try:
        return parse_when(f"{typed} 00:00", now=now, tz=tz).date()
    except BadTime:
        raise ShiftSyntax(expected="time", text=text) from None


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # Through UTC and back: a clock time skipped by a DST change lands on a real instant.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC).astimezone(tz)


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _people(typed: str, command: str) -> int:
    match = _PEOPLE.fullmatch(typed.casefold())
    if match is None:
        raise ShiftSyntax(expected="people", text=typed, command=command)
    # Length first: int() of thousands of digits is slow and refused by Python 3.11.
    if len(match["n"]) > 4 or not 1 <= int(match["n"]) <= MAX_PEOPLE:
        raise BadPeople(text=typed, limit=MAX_PEOPLE)
    return int(match["n"])


def _skill(typed: str | None, command: str) -> str | None:
    if typed is None:
        return None
    if _SKILL_PREFIX.fullmatch(typed.casefold()):
        raise ShiftSyntax(expected="skill", text=typed, command=command)
    return parse_skill(typed)


def _normalise(text: str) -> str:
    # NFKC folds full-width letters, digits, `｜`, `：` and `～` into ASCII.
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", folded).strip()


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
