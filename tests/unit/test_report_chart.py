"""The report's chart: a PNG in the reader's language, English words without a CJK font, and
no chart (a text-only report) without matplotlib."""

from __future__ import annotations

import struct
from datetime import date, timedelta

import pytest

from handlers import report_chart
from handlers.report_chart import ChartWords, choose_words, cjk_font, draw_chart
from models.reports import DayCounts

PNG = b"\x89PNG\r\n\x1a\n"
ZH = ChartWords("求助与点名覆盖率", "新增", "认领", "完成", "求助（条）", "点名覆盖率（%）")
EN = ChartWords("Help requests", "opened", "claimed", "done", "help requests", "coverage (%)")
DAYS = [
    DayCounts(date(2026, 11, 19) + timedelta(days=n), n, n // 2, 1, 10 * (n % 2), 7 * (n % 2))
    for n in range(7)
]


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    return struct.unpack(">II", png[16:24])


def test_chinese_words_need_a_cjk_font_and_english_ones_do_not() -> None:
    assert ZH.needs_cjk and not EN.needs_cjk
    assert choose_words(ZH, EN, "Noto Sans CJK SC") is ZH
    assert choose_words(ZH, EN, None) is EN
    assert choose_words(EN, EN, None) is EN


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")
def test_the_chart_is_drawn_in_chinese_with_the_systems_cjk_font() -> None:
    """Drawn with the CJK font (a missing glyph would warn, and warnings fail the tests)."""
    assert "CJK" in (cjk_font() or "")
    assert _size(draw_chart(DAYS, ZH, cjk_font())) == (800, 450)


def test_without_a_cjk_font_the_chart_is_drawn_with_english_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[tuple[ChartWords, str | None]] = []

    def draw(days: list[DayCounts], words: ChartWords, font: str | None) -> bytes:
        drawn.append((words, font))
        return draw_chart(days, words, font)

    monkeypatch.setattr(report_chart, "cjk_font", lambda: None)
    monkeypatch.setattr(report_chart, "draw_chart", draw)
    png = report_chart._render(DAYS, ZH, EN)
    assert png is not None and _size(png) == (800, 450)
    assert drawn == [(EN, None)]


def test_without_matplotlib_the_report_goes_without_a_chart(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def missing(*args: object) -> bytes:
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(report_chart, "draw_chart", missing)
    assert report_chart._render(DAYS, ZH, EN) is None
    assert "without its chart" in caplog.text
