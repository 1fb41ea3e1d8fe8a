"""Telegram's HTML subset and reply markup, checked the way the Bot API checks them."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ESCAPES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ESCAPE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));")
_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_END_TAG = re.compile(r"</\s*([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_COMMAND = re.compile(r"(?<!\S)/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?")


class MarkupError(ValueError):
    """The text or markup would be rejected by Telegram; the message is Telegram's wording."""


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    start: int  # UTF-16 offset where the entity begins


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _unescape(raw: str) -> str:
    def decode(match: re.Match[str]) -> str:
        named, decimal, hexadecimal = match.groups()
        if named:
            return _NAMED_ESCAPES[named]
        code = int(decimal) if decimal else int(hexadecimal, 16)
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)

    # Telegram leaves an '&' that starts no known escape as a literal character.
    return _ESCAPE.sub(decode, raw)


def _entity(tag: _OpenTag, end: int) -> dict | None:
    kind = _ENTITY_TYPES[tag.name]
    entity: dict = {"type": kind, "offset": tag.start, "length": end - tag.start}
    if kind == "text_link":
        href = tag.attributes.get("href")
        if not href:
            return None  # an <a> without href is plain text on Telegram too
        entity["url"] = href
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
    elif kind == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif kind == "pre" and tag.attributes.get("language"):
        entity["language"] = tag.attributes["language"]
    return entity


def _check_start_tag(name: str, attributes: dict[str, str], offset: int) -> None:
    if name not in _ENTITY_TYPES:
        raise MarkupError(f'Unsupported start tag "{name}" at byte offset {offset}')
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "tg-emoji" and not attributes.get("emoji-id"):
        raise MarkupError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}')


def parse_html(html: str) -> tuple[str, list[dict]]:
    """Turn Telegram HTML into (visible text, entities); raise MarkupError where Telegram would."""
    parts: list[str] = []
    length = 0  # UTF-16 length of the visible text so far
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    position = 0
    while position < len(html):
        lt = html.find("<", position)
        chunk = html[position : lt if lt >= 0 else len(html)]
        if chunk:
            visible = _unescape(chunk)
            parts.append(visible)
            length += utf16_len(visible)
        if lt < 0:
            break
        offset = _byte_offset(html, lt)
        if html.startswith("</", lt):
            match = _END_TAG.match(html, lt)
            if not match:
                raise MarkupError(f"Can't find end of tag at byte offset {offset}")
            name = match.group(1).lower()
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {offset}")
            if stack[-1].name != name:
                raise MarkupError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1].name}>", '
                    f'found "</{name}>"'
                )
            tag = stack.pop()
            # Telegram folds <pre><code class="language-x"> into one "pre" entity.
            folded = tag.name == "code" and stack and stack[-1].name == "pre"
            if length > tag.start and not folded and (entity := _entity(tag, length)):
                entities.append(entity)
        else:
            match = _START_TAG.match(html, lt)
            if not match:
                raise MarkupError(f'Unsupported start tag "" at byte offset {offset}')
            name = match.group(1).lower()
            attributes = {
                m.group(1).lower(): _unescape(
                    next((g for g in m.groups()[1:] if g is not None), "")
                )
                for m in _ATTRIBUTE.finditer(match.group(2))
            }
            _check_start_tag(name, attributes, offset)
            if name == "code" and stack and stack[-1].name == "pre":
                # <pre><code class="language-x"> is how Telegram names a code block's language.
                language = attributes.get("class", "").removeprefix("language-")
                if language:
                    stack[-1].attributes["language"] = language
            stack.append(_OpenTag(name, attributes, length))
        position = match.end()
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parts), entities


def check_text(html: str, *, parse_mode: str | None, limit: int = MAX_TEXT) -> tuple[str, list]:
    """Validate a message text or caption; return its visible text and entities."""
    if parse_mode and parse_mode.lower() == "html":
        try:
            text, entities = parse_html(html)
        except MarkupError as error:
            raise MarkupError(f"can't parse entities: {error}") from None
    elif parse_mode:
        raise MarkupError(f"unsupported parse_mode {parse_mode!r} in the sandbox (use HTML)")
    else:
        text, entities = html, []
    # Telegram trims surrounding whitespace; the limit counts what people would see.
    stripped = text.strip()
    if not stripped:
        raise MarkupError("message text is empty")
    if len(stripped) > limit:
        raise MarkupError(
            "message is too long" if limit == MAX_TEXT else "message caption is too long"
        )
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    if lead:
        entities = [{**e, "offset": max(0, e["offset"] - lead)} for e in entities]
    return stripped, entities


def command_entities(text: str) -> list[dict]:
    """The bot_command entities Telegram attaches to a person's message."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group(0)),
        }
        for m in _COMMAND.finditer(text)
    ]


def check_reply_markup(markup: dict | None) -> dict | None:
    """Validate a reply_markup object as Telegram would; return it unchanged."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise MarkupError("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise MarkupError('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else button.get("text")
                if not text:
                    raise MarkupError("keyboard button text must be non-empty")
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise MarkupError("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise MarkupError('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise MarkupError("inline keyboard button text must be non-empty")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode())
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    raise MarkupError("BUTTON_DATA_INVALID")
            elif "url" in button:
                if not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                    raise MarkupError(f"inline keyboard button URL '{button['url']}' is invalid")
            elif not any(k in button for k in ("switch_inline_query", "login_url", "copy_text")):
                raise MarkupError("text buttons are unallowed in the inline keyboard")


def inline_callbacks(markup: dict | None) -> set[str]:
    """Every callback_data carried by an inline keyboard."""
    if not markup or "inline_keyboard" not in markup:
        return set()
    return {
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if "callback_data" in b
    }
