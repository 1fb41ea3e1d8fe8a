"""Telegram's HTML subset: visible text, entity offsets in UTF-16, and the errors it raises."""

from __future__ import annotations

import pytest

from sandbox.markup import MarkupError, check_text, command_entities, parse_html


def test_entities_use_utf16_offsets() -> None:
    text, entities = parse_html('🛒 <b>团购</b> <a href="https://t.me/x?start=1">join</a>')
    assert text == "🛒 团购 join"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 6, "length": 4, "url": "https://t.me/x?start=1"},
    ]


def test_escapes_and_nesting() -> None:
    text, entities = parse_html("<b>a <i>&lt;b&gt; &amp; &quot;&#39;</i></b> & done")
    assert text == "a <b> & \"' & done"
    assert [e["type"] for e in entities] == ["bold", "italic"]


def test_spoilers_blockquotes_and_code_blocks() -> None:
    html = (
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        '<blockquote expandable>q</blockquote><pre><code class="language-python">x</code></pre>'
    )
    _, entities = parse_html(html)
    assert [e["type"] for e in entities] == [
        "spoiler",
        "spoiler",
        "expandable_blockquote",
        "pre",
    ]
    assert entities[3]["language"] == "python"


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_malformed_html_is_rejected(html: str, error: str) -> None:
    with pytest.raises(MarkupError, match="^" + error.replace("(", r"\(")):
        parse_html(html)


def test_check_text_trims_and_limits() -> None:
    assert check_text("  <b>hi</b> ", parse_mode="HTML") == (
        "hi",
        [{"type": "bold", "offset": 0, "length": 2}],
    )
    with pytest.raises(MarkupError, match="message text is empty"):
        check_text("<i> </i>", parse_mode="HTML")
    with pytest.raises(MarkupError, match="message is too long"):
        check_text("<b>" + "x" * 4097 + "</b>", parse_mode="HTML")
    assert check_text("<b>" + "x" * 4096 + "</b>", parse_mode="HTML")[0] == "x" * 4096
    assert check_text("<not html>", parse_mode=None) == ("<not html>", [])


def test_commands_are_marked_wherever_they_start_a_word() -> None:
    assert command_entities("/start@linli_sandbox_bot gb_42 then /help") == [
        {"type": "bot_command", "offset": 0, "length": 24},
        {"type": "bot_command", "offset": 36, "length": 5},
    ]
    assert command_entities("a/b and http://x/y") == []
