"""The /groupbuy message and order replies: what parses, and the precise error for what doesn't."""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.refusals import refusal
from models.errors import (
    AmbiguousPlus,
    BadLimit,
    BadPrice,
    BadQuantity,
    DeadlineInPast,
    DomainError,
    DuplicateField,
    DuplicateItemCode,
    GroupBuySyntax,
    MissingField,
    OrderSyntax,
    PickupBeforeDeadline,
    TooManyItems,
    UnknownItem,
)
from models.groupbuy_spec import (
    GroupBuySpec,
    ItemSpec,
    OrderRequest,
    parse_groupbuy,
    parse_order,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)

ISSUE_EXAMPLE = """蔬菜套餐 Vegetable box
deadline: 18:00
A 蔬菜包 5kg | 45 | max 2
B 鸡蛋 30枚 | 38.5 | stock 100
pickup: 3号门 Gate 3, tomorrow 10:00
min: 20"""


def parse(text: str) -> GroupBuySpec:
    """parse_groupbuy at the fixed `now`."""
    return parse_groupbuy(text, now=NOW, tz=TZ)


def with_lines(*lines: str, deadline: str = "deadline: 18:00") -> str:
    """A minimal valid message plus some lines."""
    return "\n".join(["团购 Title", deadline, *lines])


def test_issue_example_parses_to_the_intended_spec() -> None:
    """The exact message from the issue."""
    assert parse(ISSUE_EXAMPLE) == GroupBuySpec(
        title="蔬菜套餐 Vegetable box",
        deadline=datetime(2026, 11, 25, 18, 0, tzinfo=TZ),
        items=(
            ItemSpec("A", "蔬菜包 5kg", 4500, max_per_household=2, stock=None),
            ItemSpec("B", "鸡蛋 30枚", 3850, max_per_household=None, stock=100),
        ),
        pickup_place="3号门 Gate 3",
        pickup_at=datetime(2026, 11, 26, 10, 0, tzinfo=TZ),
        min_units=20,
    )


def test_chinese_keywords_full_width_marks_and_any_order() -> None:
    """Chinese keywords, full-width colon and bar, blank lines, fields in any order."""
    spec = parse(
        "邻里水果团\n\n"
        "ａ 苹果 5斤 ｜ ¥45 ｜ 限购2 ｜ 库存100\n"
        "自提：3号门，明天10点\n"
        "截止时间：明天 9:00\n"
        "b 橙子 ｜ 12.80元 | 每户 3件\n"
        "成团：10"
    )
    assert spec.title == "邻里水果团"
    assert spec.deadline == datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
    assert spec.items == (
        ItemSpec("A", "苹果 5斤", 4500, max_per_household=2, stock=100),
        ItemSpec("B", "橙子", 1280, max_per_household=3, stock=None),
    )
    assert (spec.pickup_place, spec.pickup_at) == ("3号门", datetime(2026, 11, 26, 10, tzinfo=TZ))
    assert spec.min_units == 10
    assert spec.item_codes == ("A", "B")


@pytest.mark.parametrize(
    "line",
    ["截止 18:00", "截止18:00", "Deadline: 18:00", "DEADLINE 18:00", "截单：18点", "截止： 18:00"],
)
def test_deadline_keyword_variants(line: str) -> None:
    """Colon or space after an English keyword; Chinese ones may run into the value."""
    assert parse(f"T\n{line}\nA x | 1").deadline == datetime(2026, 11, 25, 18, tzinfo=TZ)


def test_optional_fields_default_to_none() -> None:
    """No pickup, no minimum."""
    spec = parse(with_lines("A 蔬菜 | 45"))
    assert (spec.pickup_place, spec.pickup_at, spec.min_units) == (None, None, None)


def test_pickup_place_without_time_and_time_without_place() -> None:
    """Either half of a pickup line may stand alone."""
    assert parse(with_lines("A x | 1", "pickup: Gate 3")).pickup_place == "Gate 3"
    spec = parse(with_lines("A x | 1", "取货：明天10点"))
    assert (spec.pickup_place, spec.pickup_at) == (None, datetime(2026, 11, 26, 10, tzinfo=TZ))


@pytest.mark.parametrize(
    ("line", "code", "name"),
    [
        ("A 蔬菜 | 45", "A", "蔬菜"),
        ("a 蔬菜 | 45", "A", "蔬菜"),
        ("B2 鸡蛋 30枚 | 45", "B2", "鸡蛋 30枚"),
        ("A. 蔬菜 | 45", "A", "蔬菜"),
        ("A、蔬菜 | 45", "A", "蔬菜"),
        ("A蔬菜包 | 45", "A", "蔬菜包"),
        ("Ａ 蔬菜 | 45", "A", "蔬菜"),
        ("C 5kg rice | 45", "C", "5kg rice"),
    ],
)
def test_item_codes_and_names(line: str, code: str, name: str) -> None:
    """Codes are upper-cased letters with an optional digit; the name is kept as typed."""
    (item,) = parse(with_lines(line)).items
    assert (item.code, item.name) == (code, name)


@pytest.mark.parametrize(
    ("price", "cents"),
    [
        ("45", 4500),
        ("38.5", 3850),
        ("0.01", 1),
        ("¥45", 4500),
        ("￥45", 4500),
        ("45元", 4500),
        ("45 元", 4500),
        ("12.80", 1280),
        ("４５．５", 4550),
        ("100000", 10_000_000),
        ("45.500", 4550),
    ],
)
def test_prices_become_integer_cents(price: str, cents: int) -> None:
    """Yuan with up to two decimals, with or without a currency mark."""
    (item,) = parse(with_lines(f"A x | {price}")).items
    assert item.price_cents == cents


@pytest.mark.parametrize(
    "price", ["0", "-5", "0.00", "100000.01", "1e3", "45.555", "abc", "", "45.", "１,000", "9" * 40]
)
def test_bad_prices(price: str) -> None:
    """≤0, absurd, more than two decimals or not a number: BadPrice quoting the line."""
    line = f"A 蔬菜 | {price}"
    with pytest.raises(BadPrice) as caught:
        parse(with_lines(line))
    assert caught.value.values == {"line": line.strip(), "code": "A"}


@pytest.mark.parametrize(
    ("options", "max_per_household", "stock"),
    [
        ("| max 2", 2, None),
        ("| MAX 2", 2, None),
        ("| stock 100", None, 100),
        ("| stock 100 | max 2", 2, 100),
        ("| max 2 stock 100", 2, 100),
        ("| 限购2 | 库存100", 2, 100),
        ("| 每户限购 2件 | 限量 50", 2, 50),
        ("| max 999 | stock 100000", 999, 100_000),
        ("|", None, None),
    ],
)
def test_item_options(options: str, max_per_household: int | None, stock: int | None) -> None:
    """Per-household max and stock, in any order, either language."""
    (item,) = parse(with_lines(f"A x | 45 {options}")).items
    assert (item.max_per_household, item.stock) == (max_per_household, stock)


@pytest.mark.parametrize(
    "options",
    ["max 0", "max 1000", "max -1", "max 1.5", "stock 0", "stock 100001", "库存 99999999999"],
)
def test_bad_limits(options: str) -> None:
    """max must be 1..999 and stock 1..100000."""
    line = f"B 鸡蛋 | 38.5 | {options}"
    with pytest.raises(BadLimit) as caught:
        parse(with_lines(line))
    assert caught.value.values == {"line": line, "code": "B"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("A 蔬菜 45", "item"),  # no bar
        ("A 蔬菜 | 45 | max two", "item"),
        ("A 蔬菜 | 45 | max 2 | max 3", "item"),
        ("A 蔬菜 | 45 | colour red", "item"),
        ("AB 蔬菜 | 45", "item"),
        ("| 45", "item"),
        ("hello there", "unknown"),
        ("deadline soon", "deadline"),
        ("min: twenty", "min"),
        ("min:", "min"),
        ("pickup: ,", "pickup"),
    ],
)
def test_unreadable_lines_are_quoted_with_the_expected_form(line: str, expected: str) -> None:
    """The reply can quote the exact line and show the form that kind of line takes."""
    text = f"Title\nZ 备用 | 1\n{line}"  # lines are read in order: the bad one is reported first
    with pytest.raises(GroupBuySyntax) as caught:
        parse(text)
    assert caught.value.values == {"line": line, "expected": expected}
    assert refusal(caught.value).template == "errors/gb_syntax"


def test_overlong_title() -> None:
    """The title is repeated on the card; a paragraph is not a title."""
    with pytest.raises(GroupBuySyntax) as caught:
        parse("长" * 81 + "\ndeadline: 18:00\nA x | 1")
    assert caught.value.values["expected"] == "title"


def test_quoted_lines_are_clipped() -> None:
    """A pasted essay cannot blow the reply past Telegram's message limit."""
    line = "A 蔬菜 " + "很" * 5000
    with pytest.raises(GroupBuySyntax) as caught:
        parse(with_lines(line))
    assert len(caught.value.values["line"]) <= 200


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "title"),
        ("\n\n", "title"),
        ("deadline: 18:00\nA x | 1", "title"),
        ("A 蔬菜 | 45\ndeadline: 18:00", "title"),
        ("Title\nA x | 1", "deadline"),
        ("Title\ndeadline: 18:00", "item"),
        ("Title\ndeadline: 18:00\npickup: Gate 3", "item"),
    ],
)
def test_missing_fields(text: str, field: str) -> None:
    """Title, deadline and at least one item are required."""
    with pytest.raises(MissingField) as caught:
        parse(text)
    assert caught.value.values == {"field": field}


def test_titles_that_merely_start_like_keywords_are_titles() -> None:
    """'自提蔬菜团' is a title; only 'keyword:' on the first line means the title is missing."""
    assert parse("自提蔬菜团\n截止：18:00\nA x | 1").title == "自提蔬菜团"
    assert parse("Minimal waste box\ndeadline: 18:00\nA x | 1").title == "Minimal waste box"
    assert parse("蔬菜 | Vegetables\ndeadline: 18:00\nA x | 1").title == "蔬菜 | Vegetables"


def test_duplicate_item_code_any_case() -> None:
    """'a' and 'A' are the same code."""
    with pytest.raises(DuplicateItemCode) as caught:
        parse(with_lines("A 蔬菜 | 45", "a 鸡蛋 | 38"))
    assert caught.value.values == {"code": "A"}


def test_duplicate_field() -> None:
    """Two deadlines: which one did the leader mean?"""
    with pytest.raises(DuplicateField) as caught:
        parse(with_lines("A x | 1", "截止：19:00"))
    assert caught.value.values == {"field": "deadline"}


def test_deadline_in_the_past() -> None:
    """A clock time earlier today is refused, quoting what was typed."""
    with pytest.raises(DeadlineInPast) as caught:
        parse(with_lines("A x | 1", deadline="deadline: 8:00"))
    assert caught.value.values == {
        "text": "8:00",
        "when": datetime(2026, 11, 25, 8, 0, tzinfo=TZ),
    }


def test_pickup_before_deadline() -> None:
    """Goods cannot be collected before orders close."""
    with pytest.raises(PickupBeforeDeadline) as caught:
        parse(with_lines("A x | 1", "pickup: Gate 3, 12:00"))
    assert caught.value.values == {
        "pickup_at": datetime(2026, 11, 25, 12, tzinfo=TZ),
        "deadline": datetime(2026, 11, 25, 18, tzinfo=TZ),
    }


@pytest.mark.parametrize("value", ["0", "-3", "100001", "9" * 50])
def test_bad_minimum(value: str) -> None:
    """A minimum of zero or an absurd number is a BadQuantity of kind 'min'."""
    with pytest.raises(BadQuantity) as caught:
        parse(with_lines("A x | 1", f"min: {value}"))
    assert caught.value.values == {"text": value, "kind": "min"}


def test_twenty_six_items_fit_and_twenty_seven_do_not() -> None:
    """One letter per item."""
    letters = [chr(ord("A") + i) for i in range(26)]
    assert len(parse(with_lines(*(f"{c} x | 1" for c in letters))).items) == 26
    with pytest.raises(TooManyItems) as caught:
        parse(with_lines(*(f"{c} x | 1" for c in letters), "A2 extra | 1"))
    assert caught.value.values == {"count": 27}


def test_specs_are_frozen() -> None:
    """Value objects: safe to pass around and compare."""
    spec = parse(ISSUE_EXAMPLE)
    with pytest.raises(AttributeError):
        spec.title = "changed"  # type: ignore[misc]


@given(
    cents=st.integers(min_value=1, max_value=10_000_000),
    style=st.sampled_from(["{}", "¥{}", "{}元", "￥{} 元"]),
    padded=st.booleans(),
)
def test_any_valid_price_round_trips_to_cents(cents: int, style: str, padded: bool) -> None:
    """Every price of 0.01..100000 yuan with ≤2 decimals reads back as exactly its cents."""
    yuan = Decimal(cents) / 100
    number = f"{yuan:.2f}" if padded else str(yuan.normalize() if cents % 100 else cents // 100)
    (item,) = parse(with_lines(f"A x | {style.format(number)}")).items
    assert item.price_cents == cents


@given(text=st.text(max_size=200))
def test_parse_groupbuy_only_raises_domain_errors(text: str) -> None:
    """Whatever a leader types, the reply is a localised error, never a crash."""
    try:
        spec = parse(text)
    except DomainError:
        return
    assert spec.items and spec.deadline > NOW


_FRAGMENTS = st.sampled_from(
    (
        "A",
        "b2",
        "|",
        "｜",
        "¥",
        "元",
        "max",
        "stock",
        "限购",
        "库存",
        "deadline:",
        "截止",
        "pickup:",
        "取货：",
        "min:",
        "成团",
        "+",
        "-",
        ".",
        "18:00",
        "明天",
        "10点",
        "，",
        ",",
        "×",
        "0",
        "999",
        "1000",
        "1e5",
        " ",
        "+2h",
        "11-26",
        "2026-02-29",
    )
)
_NEAR_MISS_LINES = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=3)), max_size=8).map("".join)


@given(lines=st.lists(_NEAR_MISS_LINES, max_size=8))
def test_near_miss_messages_only_raise_domain_errors(lines: list[str]) -> None:
    """Messages built from real keywords and marks in odd places still only raise DomainErrors."""
    with contextlib.suppress(DomainError):
        parse("\n".join(lines))


# --- orders ----------------------------------------------------------------------------

TWO = ("A", "B")


@pytest.mark.parametrize(
    "text",
    [
        "A2 B1",
        "a 2, b 1",
        "A×2 B*1",
        "A x2 b X 1",
        "A2，B1",
        "A2、B1",
        "A2;B1",
        "A 2 B 1",
        "A2B1",
        "Ａ２ Ｂ１",
        "A2份 B1份",
        "  A2   B1  ",
    ],
)
def test_order_forms(text: str) -> None:
    """The ways residents write 'two of A and one of B'."""
    assert parse_order(text, item_codes=TWO) == OrderRequest({"A": 2, "B": 1}, "set")


def test_zero_removes_an_item() -> None:
    """'A0' sets A to nothing; B is left alone (not mentioned)."""
    assert parse_order("A0", item_codes=TWO) == OrderRequest({"A": 0}, "set")


@pytest.mark.parametrize("text", ["+2", "＋2", "+ 2", "+2份"])
def test_plus_adds_to_the_single_item(text: str) -> None:
    """'+2' on a one-item group-buy adds two more of it."""
    assert parse_order(text, item_codes=["a"]) == OrderRequest({"A": 2}, "add")


def test_plus_with_several_items_is_ambiguous() -> None:
    """Which item would '+2' add to?"""
    with pytest.raises(AmbiguousPlus) as caught:
        parse_order("+2", item_codes=TWO)
    assert caught.value.values == {"codes": ("A", "B")}


@pytest.mark.parametrize("text", ["+0", "+1000", "+", "+-1"])
def test_bad_plus_quantities(text: str) -> None:
    """Adding must add 1..999."""
    with pytest.raises(BadQuantity) as caught:
        parse_order(text, item_codes=["A"])
    assert caught.value.values == {"text": text, "kind": "order"}


def test_codes_with_digit_suffix_are_matched_longest_first() -> None:
    """With items B and B2, 'B2 3' is three of B2; with only A and B, 'B21' is 21 of B."""
    assert parse_order("B2 3 B1", item_codes=["B", "B2"]).quantities == {"B2": 3, "B": 1}
    assert parse_order("B21", item_codes=TWO).quantities == {"B": 21}


def test_a_letter_code_x_is_not_read_as_times() -> None:
    """An item called X still orders as 'X2'."""
    assert parse_order("X2 Ax3", item_codes=["A", "X"]).quantities == {"X": 2, "A": 3}


def test_unknown_item() -> None:
    """The reply lists the codes that do exist."""
    with pytest.raises(UnknownItem) as caught:
        parse_order("A1 C2", item_codes=TWO)
    assert caught.value.values == {"code": "C", "codes": ("A", "B")}


def test_unknown_item_accepts_codes_as_one_string() -> None:
    """Callers may pass the valid codes as 'A B'; the template always gets a sequence."""
    assert UnknownItem(code="C", codes="A B").values["codes"] == ("A", "B")


def test_repeated_code_is_an_error() -> None:
    """'A2 A3' is ambiguous: refuse rather than guess."""
    with pytest.raises(DuplicateItemCode) as caught:
        parse_order("A2 a3", item_codes=TWO)
    assert caught.value.values == {"code": "A"}


@pytest.mark.parametrize("text", ["A", "A1000", "A-1", "A 99999999999999", "B2 A"])
def test_bad_order_quantities(text: str) -> None:
    """Missing, negative or over 999."""
    with pytest.raises(BadQuantity) as caught:
        parse_order(text, item_codes=TWO)
    assert caught.value.values == {"text": text, "kind": "order"}


@pytest.mark.parametrize("text", ["", "hello", "谢谢团长！", "OK", "A+2", "2", "A2 ???"])
def test_unreadable_orders(text: str) -> None:
    """Chat that isn't an order gets an example built from the real codes."""
    with pytest.raises(OrderSyntax) as caught:
        parse_order(text, item_codes=TWO)
    assert caught.value.values == {"text": text, "example": "A2 B1"}


def test_order_example_for_a_single_item() -> None:
    """With one item the example names just it."""
    with pytest.raises(OrderSyntax) as caught:
        parse_order("please", item_codes=["A"])
    assert caught.value.values["example"] == "A2"


@given(text=st.text(max_size=60))
def test_parse_order_only_raises_domain_errors(text: str) -> None:
    """Arbitrary replies never crash the handler; results are in range and upper-case."""
    try:
        request = parse_order(text, item_codes=["A", "B", "B2"])
    except DomainError:
        return
    assert request.mode in ("set", "add")
    assert request.quantities
    assert set(request.quantities) <= {"A", "B", "B2"}
    assert all(0 <= n <= 999 for n in request.quantities.values())


@given(
    order=st.dictionaries(st.sampled_from(["A", "B", "C", "D2"]), st.integers(0, 999), min_size=1),
    separator=st.sampled_from([" ", ", ", "，", "、", "  "]),
    times=st.sampled_from(["", " ", "x", "×", "*", " x "]),
    lower=st.booleans(),
)
def test_written_orders_round_trip(
    order: dict[str, int], separator: str, times: str, lower: bool
) -> None:
    """Any set of quantities, written in any accepted style, reads back exactly."""
    text = separator.join(f"{code}{times}{n}" for code, n in order.items())
    if lower:
        text = text.lower()
    assert parse_order(text, item_codes=["A", "B", "C", "D2"]) == OrderRequest(order, "set")
