"""The button codec: what is built fits Telegram's 64 bytes and parses back; forgeries are stale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import MAX_BYTES, button, parse, prefix_of
from bot.refusals import StaleButton


@button("tq")
class Tap:
    """A sample button: an id, a code and a flag."""

    groupbuy: int
    code: str
    plus: bool


def test_pack_and_parse_round_trip() -> None:
    """A built button's data is short, prefixed, and parses back to an equal value."""
    data = Tap(12, "A", True).pack()
    assert data == "tq:12:A:1"
    assert parse(data) == Tap(groupbuy=12, code="A", plus=True)
    assert prefix_of(Tap) == "tq"


@pytest.mark.parametrize(
    "data",
    ["", "tq", "tq:12:A", "tq:12:A:1:extra", "tq:x:A:1", "tq:-1:A:1", "tq:12:A:2", "zz:1", None],
)
def test_forged_or_outdated_data_is_a_stale_button(data: str | None) -> None:
    """Anything not declared, of the wrong arity or with a bad field never reaches a handler."""
    with pytest.raises(StaleButton):
        parse(data)


@pytest.mark.parametrize(
    "value",
    [Tap(12, "A:B", True), Tap(-1, "A", True), Tap(10**16, "A", False), Tap(1, "x" * 60, True)],
)
def test_values_that_cannot_be_carried_fail_when_built(value: Tap) -> None:
    """A separator, a negative or huge id, or data over 64 bytes is a bug caught at build time."""
    with pytest.raises(ValueError):
        value.pack()


def test_a_prefix_is_declared_once() -> None:
    """Two kinds under one prefix would make taps ambiguous."""
    with pytest.raises(ValueError):

        @button("tq")
        class Again:
            x: int


@given(
    groupbuy=st.integers(0, 10**15 - 1),
    code=st.text(st.characters(blacklist_characters=":"), max_size=20),
    plus=st.booleans(),
)
def test_whatever_packs_parses_back(groupbuy: int, code: str, plus: bool) -> None:
    """Every value that packs within the limit reads back unchanged."""
    try:
        data = Tap(groupbuy, code, plus).pack()
    except ValueError:
        try:
            size = len(f"tq:{groupbuy}:{code}:1".encode())
        except UnicodeEncodeError:
            return  # a lone surrogate is not UTF-8, which is all Telegram carries
        assert size > MAX_BYTES
        return
    assert parse(data) == Tap(groupbuy, code, plus)


@button("tg", "+")
class Plus:
    """A tagged kind."""

    groupbuy: int
    code: str


@button("tg", "me")
class Mine:
    """Another kind under the same prefix."""

    groupbuy: int


def test_kinds_sharing_a_prefix_are_told_apart_by_their_tag() -> None:
    """`tg:+:12:A` and `tg:me:12` are different kinds; an unknown tag is stale."""
    assert Plus(12, "A").pack() == "tg:+:12:A"
    assert parse("tg:+:12:A") == Plus(12, "A")
    assert parse("tg:me:12") == Mine(12)
    for forged in ("tg:x:12", "tg", "tg:me:12:A"):
        with pytest.raises(StaleButton):
            parse(forged)
    with pytest.raises(ValueError):

        @button("tq", "x")  # an untagged prefix cannot gain tagged kinds
        class Mixed:
            x: int
