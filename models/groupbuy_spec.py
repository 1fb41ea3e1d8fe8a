"""The /groupbuy message and residents' order replies, read into plain values (no database).

A leader opens a group-buy with one message, one field a line, zh or en keywords:

    蔬菜套餐 Vegetable box
    deadline: 18:00
    A 蔬菜包 5kg | 45 | max 2
    B 鸡蛋 30枚 | 38.5 | stock 100
    pickup: 3号门 Gate 3, tomorrow 10:00
    min: 20

Any mistake raises one DomainError naming the line and what was expected, so nothing is
created half-way. Money is integer cents; times are aware datetimes in the community zone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from models.errors import (
    AmbiguousPlus,
    BadLimit,
    BadPrice,
    BadQuantity,
    BadTime,
    DuplicateField,
    DuplicateItemCode,
    GroupBuySyntax,
    MissingField,
    OrderSyntax,
    PickupBeforeDeadline,
    TooManyItems,
    UnknownItem,
)
from models.when import parse_when, require_future, split_when_place

MAX_ITEMS = 26  # one letter each, A..Z
TITLE_MAX = 80  # the card repeats it on every update; errors/gb_syntax states this limit
MAX_PRICE_YUAN = Decimal(100_000)
MAX_PER_HOUSEHOLD = 999
MAX_STOCK = 100_000
MAX_MIN_UNITS = 100_000
MAX_ORDER_QUANTITY = 999
_QUOTE_MAX = 200  # quoted user text stays well inside Telegram's 4096-character limit

_KEYWORDS = {
    "deadline": ("deadline", "截止时间", "截止", "截单时间", "截单"),
    "pickup": ("pickup", "pick-up", "pick up", "取货地点", "取货", "自提点", "自提"),
    "min": ("minimum", "min", "成团数", "成团", "最少"),
}
_FIELD_OF = {word: field for field, words in _KEYWORDS.items() for word in words}
_FIELD_LINE = re.compile(
    "(?P<key>"
    + "|".join(sorted((re.escape(word) for word in _FIELD_OF), key=len, reverse=True))
    + r")(?P<sep>\s*[:：]\s*|\s+|)(?P<value>.*)",
    re.IGNORECASE,
)
_BAR = re.compile(r"[|｜]")
_CODE_AND_NAME = re.compile(
    r"(?P<code>[A-Za-zＡ-Ｚａ-ｚ][0-9０-９]?)(?:[\s.．、:：)）]+|(?=[^\x00-\x7f\uff10-\uff5a]))"
    r"(?P<name>.*\S)"
)
_PRICE = re.compile(
    r"(?:¥|rmb|cny)?\s*(?P<number>-?[0-9]+(?:\.[0-9]+)?)\s*(?:元|块钱|块|yuan|rmb|cny)?"
)
_OPTION_NAMES = {
    **dict.fromkeys(("max", "limit", "每户限购", "限购", "每户"), "max"),
    **dict.fromkeys(("stock", "库存", "限量"), "stock"),
}
_OPTION = re.compile(
    "(?P<key>"
    + "|".join(sorted((re.escape(word) for word in _OPTION_NAMES), key=len, reverse=True))
    + r")\s*[:：]?\s*(?P<number>[-+]?[0-9]+(?:\.[0-9]+)?)\s*(?:份|件|个|pcs)?"
)
# 接龙 habit: copy the previous line and put one's room first ("1-506 A2", "3单元502 B1").
_ROOM_FIRST = re.compile(
    r"(?P<room>(?:[1-9][0-9]?\s*(?:单元\s*-?|-)\s*)?[1-9][0-9]{2,3})(?:室|号)?[\s,，:：]+(?P<rest>\S.*)",
    re.DOTALL,
)
_MIN_VALUE = re.compile(r"(?P<number>[-+]?[0-9]+)\s*(?:份|件|个|units?|pcs)?")


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One item on offer: code ("A", "B2"), name, unit price in cents, optional limits."""

    code: str
    name: str
    price_cents: int
    max_per_household: int | None = None
    stock: int | None = None


@dataclass(frozen=True, slots=True)
class GroupBuySpec:
    """A whole /groupbuy message, validated: deadline in the future, 1..26 distinct items."""

    title: str
    deadline: datetime
    items: tuple[ItemSpec, ...]
    pickup_place: str | None = None
    pickup_at: datetime | None = None
    min_units: int | None = None

    @property
    def item_codes(self) -> tuple[str, ...]:
        """The item codes in the order the leader listed them."""
        return tuple(item.code for item in self.items)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a resident's reply asks for.

    mode "set": each listed item's quantity becomes the given number (0 removes it);
    items not listed stay as they were. mode "add": the quantity grows by the given number
    (only from "+2" on a single-item group-buy).
    """

    quantities: dict[str, int]
    mode: Literal["set", "add"]


def parse_groupbuy(text: str, *, now: datetime, tz: ZoneInfo) -> GroupBuySpec:
    """Read the text after /groupbuy (title line, then fields in any order) into a GroupBuySpec."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines or _is_field_or_item(lines[0]):
        raise MissingField(field="title")
    title = lines[0]
    if len(title) > TITLE_MAX:
        raise GroupBuySyntax(line=_clip(title), expected="title")

    fields: dict[str, str] = {}
    items: list[ItemSpec] = []
    deadline: datetime | None = None
    pickup_place: str | None = None
    pickup_at: datetime | None = None
    min_units: int | None = None
    for line in lines[1:]:
        field = _field(line)
        if field is None:
            item = _item(line)
            if item.code in {known.code for known in items}:
                raise DuplicateItemCode(code=item.code)
            items.append(item)
            continue
        name, value = field
        if name in fields:
            raise DuplicateField(field=name)
        fields[name] = value
        if not value:
            raise GroupBuySyntax(line=_clip(line), expected=name)
        if name == "deadline":
            deadline = _deadline(line, value, now=now, tz=tz)
        elif name == "pickup":
            place, pickup_at = split_when_place(value, now, tz)
            if not place and pickup_at is None:
                raise GroupBuySyntax(line=_clip(line), expected="pickup")
            pickup_place = place or None
        else:
            min_units = _min_units(line, value)

    if deadline is None:
        raise MissingField(field="deadline")
    if not items:
        raise MissingField(field="item")
    if len(items) > MAX_ITEMS:
        raise TooManyItems(count=len(items))
    if pickup_at is not None and pickup_at < deadline:
        raise PickupBeforeDeadline(pickup_at=pickup_at, deadline=deadline)
    return GroupBuySpec(
        title=title,
        deadline=deadline,
        items=tuple(items),
        pickup_place=pickup_place,
        pickup_at=pickup_at,
        min_units=min_units,
    )


def parse_order(text: str, *, item_codes: Sequence[str]) -> OrderRequest:
    """Read a reply like "A2 B1", "a 2，b 1", "A×2" or "+2" (single item) into an OrderRequest."""
    codes = [code.upper() for code in item_codes]
    if not codes:
        raise ValueError("a group-buy has at least one item")
    typed = _fold(text).strip()
    example = f"{codes[0]}2 {codes[1]}1" if len(codes) > 1 else f"{codes[0]}2"
    if typed.startswith("+"):
        return _plus(text, typed, codes)

    entry = re.compile(
        r"(?P<code>"
        + "".join(f"{re.escape(code)}|" for code in sorted(codes, key=len, reverse=True))
        # Any other letter is read as a code too, so a typo reports "no item C", not "unreadable".
        + r"[A-Z])(?=[\s0-9×*-]|X\s*[0-9]|$)\s*(?:[X×*]\s*)?(?P<qty>-?[0-9]+)?"
        r"\s*(?:份|件|个|PCS)?"
    )
    entries: list[tuple[str, str | None]] = []
    rest = re.sub(r"[,;、]", " ", typed.upper()).strip()
    while rest:
        match = entry.match(rest)
        if match is None:
            raise OrderSyntax(text=_clip(text), example=example)
        entries.append((match["code"], match["qty"]))
        rest = rest[match.end() :].lstrip()
    if not entries:
        raise OrderSyntax(text=_clip(text), example=example)

    quantities: dict[str, int] = {}
    for code, qty in entries:
        if code not in codes:
            raise UnknownItem(code=code, codes=codes)
        if code in quantities:
            raise DuplicateItemCode(code=code)
        quantities[code] = _quantity(text, qty, allow_zero=True)
    return OrderRequest(quantities=quantities, mode="set")


def split_room(text: str) -> tuple[str | None, str]:
    """A 接龙 line written room first: `1-506 A2` → ("1-506", "A2"); else (None, text)."""
    match = _ROOM_FIRST.fullmatch(_fold(text).strip())
    if match is None:
        return None, text
    return match["room"], match["rest"]


def _plus(text: str, typed: str, codes: list[str]) -> OrderRequest:
    if len(codes) > 1:
        raise AmbiguousPlus(codes=codes)
    match = re.fullmatch(r"\+\s*(?P<qty>[-+]?[0-9]+)?\s*(?:份|件|个|pcs)?", typed, re.IGNORECASE)
    if match is None:
        raise OrderSyntax(text=_clip(text), example="+1")
    return OrderRequest(
        quantities={codes[0]: _quantity(text, match["qty"], allow_zero=False)}, mode="add"
    )


def _quantity(text: str, digits: str | None, *, allow_zero: bool) -> int:
    # Length first: int() of thousands of digits is slow and refused by Python 3.11.
    if digits is None or len(digits.lstrip("+-")) > 4:
        raise BadQuantity(text=_clip(text))
    quantity = int(digits)
    if not (0 if allow_zero else 1) <= quantity <= MAX_ORDER_QUANTITY:
        raise BadQuantity(text=_clip(text))
    return quantity


def _fold(text: str) -> str:
    # NFKC folds full-width letters, digits and punctuation (Ａ２，Ｂ１ ＋２) into ASCII.
    return unicodedata.normalize("NFKC", text)


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _QUOTE_MAX else text[: _QUOTE_MAX - 1] + "…"


def _is_field_or_item(line: str) -> bool:
    """Whether a would-be title line is really a `key:` field or an item (the title is missing)."""
    field = _FIELD_LINE.match(line)
    if field and re.search("[:：]", field["sep"]):
        return True  # "自提蔬菜团" is a fine title; "自提：3号门" is not
    head, *parts = _BAR.split(line)
    return bool(parts) and _CODE_AND_NAME.fullmatch(head.strip()) is not None


def _field(line: str) -> tuple[str, str] | None:
    """("deadline" | "pickup" | "min", value) for a keyword line, else None."""
    match = _FIELD_LINE.match(line)
    if match is None:
        return None
    key = match["key"]
    # An English keyword needs a colon or a space after it ("minimal tea" is no `min:` line);
    # Chinese ones may run straight into the value ("截止18:00").
    if not match["sep"] and key.isascii():
        return None
    return _FIELD_OF[key.casefold()], match["value"].strip()


def _deadline(line: str, value: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    try:
        deadline = parse_when(value, now=now, tz=tz)
    except BadTime:
        raise GroupBuySyntax(line=_clip(line), expected="deadline") from None
    return require_future(deadline, now, text=value)


def _min_units(line: str, value: str) -> int:
    match = _MIN_VALUE.fullmatch(_fold(value).strip().casefold())
    if match is None:
        raise GroupBuySyntax(line=_clip(line), expected="min")
    number = match["number"]
    if len(number.lstrip("+-")) > 6 or not 1 <= int(number) <= MAX_MIN_UNITS:
        raise BadQuantity(text=_clip(value), kind="min")
    return int(number)


def _item(line: str) -> ItemSpec:
    """An item line `<code> <name> | <price> [| max N | stock N]`."""
    head, *parts = _BAR.split(line)
    match = _CODE_AND_NAME.fullmatch(head.strip())
    if not parts or match is None:
        looks_like_item = match is not None or bool(parts)
        raise GroupBuySyntax(line=_clip(line), expected="item" if looks_like_item else "unknown")
    code = _fold(match["code"]).upper()
    price_text, *option_parts = parts
    price_cents = _price_cents(line, code, price_text)
    limits = _limits(line, code, " ".join(option_parts))
    return ItemSpec(
        code=code,
        name=match["name"].strip(),
        price_cents=price_cents,
        max_per_household=limits.get("max"),
        stock=limits.get("stock"),
    )


def _price_cents(line: str, code: str, text: str) -> int:
    match = _PRICE.fullmatch(_fold(text).strip().casefold())
    # A price longer than 16 characters is never sane; the cap also keeps Decimal exact.
    if match is None or len(match["number"]) > 16:
        raise BadPrice(line=_clip(line), code=code)
    yuan = Decimal(match["number"])
    cents = yuan * 100
    if not 0 < yuan <= MAX_PRICE_YUAN or cents != cents.to_integral_value():
        raise BadPrice(line=_clip(line), code=code)
    return int(cents)


def _limits(line: str, code: str, text: str) -> dict[str, int]:
    """The `max N` / `stock N` options (any order, either language) after the price."""
    folded = _fold(text).casefold()
    limits: dict[str, int] = {}
    for match in _OPTION.finditer(folded):
        name = _OPTION_NAMES[match["key"]]
        if name in limits:
            raise GroupBuySyntax(line=_clip(line), expected="item")
        number = match["number"]
        ceiling = MAX_PER_HOUSEHOLD if name == "max" else MAX_STOCK
        if not number.lstrip("+-").isdigit() or len(number) > 7 or not 1 <= int(number) <= ceiling:
            raise BadLimit(line=_clip(line), code=code)
        limits[name] = int(number)
    if _OPTION.sub("", folded).strip(" ,;，；/"):
        raise GroupBuySyntax(line=_clip(line), expected="item")
    return limits
