"""One typed codec for inline-button data: declared once, checked when built, parsed in one place.

Each kind of button is a small frozen dataclass with a prefix:

    @button("gb")
    class Join:
        groupbuy: int
        code: str

    Join(12, "A").pack()            → "gb:12:A"   (refused at build time if over 64 bytes)
    parse("gb:12:A")                → Join(groupbuy=12, code="A")
    parse("gb:x:A") / parse("zz:1") → StaleButton: forged or outdated data never reaches a handler

Fields may be `int` (non-negative, at most 15 digits), `str` (no ":"; empty allowed only if
declared with a default) or `bool` (packed as 1/0). Telegram allows 64 bytes of callback data.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from bot.refusals import StaleButton

MAX_BYTES = 64
SEPARATOR = ":"
_PREFIX = re.compile(r"[a-z][a-z0-9]{0,7}")
_DIGITS = re.compile(r"\d{1,15}")

T = TypeVar("T")


class ButtonData:
    """Base of every declared button kind (see `button`)."""

    prefix: ClassVar[str]
    tag: ClassVar[str | None]
    _fields: ClassVar[tuple[tuple[str, type], ...]]

    def pack(self) -> str:
        """The callback data; raises ValueError if a value cannot be carried or is too long."""
        parts = [self.prefix] if self.tag is None else [self.prefix, self.tag]
        for name, kind in self._fields:
            parts.append(_encode(type(self).__name__, name, kind, getattr(self, name)))
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"{type(self).__name__} packs to {len(data.encode())} bytes: {data!r}")
        return data


# prefix → the kind, or (several kinds sharing a prefix) tag → kind
_KINDS: dict[str, type[ButtonData] | dict[str, type[ButtonData]]] = {}


def button(prefix: str, tag: str | None = None) -> Callable[[type[T]], type[T]]:
    """Declare a kind of button: a frozen dataclass whose fields are packed after `prefix`.

    Kinds of one capability may share a prefix, told apart by a `tag` packed after it
    (`gb:+:12:A`, `gb:me:12`); a prefix is either tagged throughout or names one kind.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"button prefix {prefix!r}: 1-8 lowercase letters or digits")
    if tag is not None and (not tag or SEPARATOR in tag or len(tag) > 8):
        raise ValueError(f"button tag {tag!r}: 1-8 characters without {SEPARATOR!r}")

    def declare(cls: type[T]) -> type[T]:
        taken = _KINDS.get(prefix)
        if taken is not None and (tag is None or not isinstance(taken, dict) or tag in taken):
            raise ValueError(f"button {prefix!r} {tag or ''} is declared twice")
        hints = typing.get_type_hints(cls)
        for name, kind in hints.items():
            if kind not in (int, str, bool):
                raise TypeError(f"{cls.__name__}.{name}: only int, str and bool fields")
        namespace = {
            "__annotations__": dict(hints),
            "__doc__": cls.__doc__,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            **{n: cls.__dict__[n] for n in hints if n in cls.__dict__},  # defaults
        }
        data_cls = dataclasses.dataclass(frozen=True, slots=True)(
            type(cls.__name__, (ButtonData,), namespace)
        )
        fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(data_cls))
        data_cls.prefix, data_cls.tag, data_cls._fields = prefix, tag, fields
        if tag is None:
            _KINDS[prefix] = data_cls
        else:
            typing.cast(dict, _KINDS.setdefault(prefix, {}))[tag] = data_cls
        return typing.cast(type[T], data_cls)

    return declare


def parse(data: str | None) -> ButtonData:
    """The typed button behind callback data; raise StaleButton for anything not declared."""
    if not data:
        raise StaleButton()
    prefix, *values = data.split(SEPARATOR)
    kind = _KINDS.get(prefix)
    if isinstance(kind, dict):
        kind = kind.get(values.pop(0)) if values else None
    if kind is None or len(values) != len(kind._fields):
        raise StaleButton()
    decoded: dict[str, Any] = {}
    for (name, field_kind), text in zip(kind._fields, values, strict=True):
        decoded[name] = _decode(field_kind, text)
    return kind(**decoded)


def tapped(button: ButtonData | None, kind: type[T]) -> T:
    """The parsed button a handler was routed for, as its declared kind."""
    if not isinstance(button, kind):
        raise StaleButton()
    return button


def is_declared(prefix: str) -> bool:
    """True if a button kind is declared under this prefix."""
    return prefix in _KINDS


def prefix_of(kind: type) -> str:
    """The prefix a declared button kind packs under (for routing)."""
    if not (isinstance(kind, type) and issubclass(kind, ButtonData)):
        raise TypeError(f"{kind!r} is not a declared button kind")
    return kind.prefix


def _encode(owner: str, name: str, kind: type, value: Any) -> str:
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{owner}.{name}: expected a bool, got {value!r}")
        return "1" if value else "0"
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{owner}.{name}: expected a non-negative int, got {value!r}")
        text = str(value)
        if len(text) > 15:
            raise ValueError(f"{owner}.{name}: {value} has more than 15 digits")
        return text
    if not isinstance(value, str) or SEPARATOR in value:
        raise ValueError(f"{owner}.{name}: expected a str without {SEPARATOR!r}, got {value!r}")
    try:
        value.encode()
    except UnicodeEncodeError:
        # Telegram carries callback data as UTF-8; a lone surrogate cannot be sent at all.
        raise ValueError(f"{owner}.{name}: {value!r} is not valid UTF-8") from None
    return value


def _decode(kind: type, text: str) -> Any:
    if kind is bool:
        if text not in ("0", "1"):
            raise StaleButton()
        return text == "1"
    if kind is int:
        if not _DIGITS.fullmatch(text):
            raise StaleButton()
        return int(text)
    return text
