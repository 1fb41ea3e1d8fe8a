"""The leaders' report chart: help requests per day by status, and rollcall coverage per day.

Drawn as a PNG with matplotlib's Agg backend (no display), off the event loop. Words come in
the reader's language; Chinese needs a CJK font from the system (Debian's fonts-noto-cjk).
Without one the chart is drawn with the English words, and without matplotlib there is no
chart at all: the report's text says everything the chart shows.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.context import Emitter
from models.reports import DayCounts

log = logging.getLogger(__name__)

# Tried in this order; any other family with "CJK" in its name comes after them.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
FALLBACK_LANGUAGE = "en"  # its labels need no CJK font
COLOURS = {"opened": "#f0a030", "claimed": "#4a90d9", "done": "#3aa655", "coverage": "#c0392b"}


@dataclass(frozen=True, slots=True)
class ChartWords:
    """Every word drawn on the chart, in one language."""

    title: str
    opened: str
    claimed: str
    done: str
    requests: str
    coverage: str

    @property
    def needs_cjk(self) -> bool:
        """True if any word needs a font beyond Latin, Greek and Cyrillic."""
        return any(ord(ch) >= 0x2E80 for word in self._words() for ch in word)

    def _words(self) -> tuple[str, ...]:
        return (self.title, self.opened, self.claimed, self.done, self.requests, self.coverage)


@functools.cache
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, or None if the system has none."""
    try:
        from matplotlib import font_manager
    except ImportError:
        return None
    names = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    return next((name for name in sorted(names) if "CJK" in name), None)


def chart_words(ctx: Emitter, lang: str) -> ChartWords:
    """The chart's words in a language, from its labels."""

    def label(name: str) -> str:
        return ctx.label("report_chart", name, lang=lang)

    return ChartWords(
        title=label("title"),
        opened=label("opened"),
        claimed=label("claimed"),
        done=label("done"),
        requests=label("requests"),
        coverage=label("coverage"),
    )


def choose_words(reader: ChartWords, fallback: ChartWords, font: str | None) -> ChartWords:
    """The reader's words, unless they need a CJK font the system lacks: then the fallback's."""
    return fallback if reader.needs_cjk and font is None else reader


def draw_chart(days: Sequence[DayCounts], words: ChartWords, font: str | None) -> bytes:
    """The chart as PNG bytes: bars of requests by status, a line of rollcall coverage (%)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    # Fonts are passed to each text rather than set in rcParams, which every thread shares.
    text = FontProperties(family=[font, "DejaVu Sans"] if font else ["DejaVu Sans"])
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    bars = figure.add_subplot()
    xs = list(range(len(days)))
    width = 0.27
    for offset, key, label in (
        (-width, "opened", words.opened),
        (0.0, "claimed", words.claimed),
        (width, "done", words.done),
    ):
        values = [getattr(day, key) for day in days]
        bars.bar([x + offset for x in xs], values, width, label=label, color=COLOURS[key])
    bars.set_xticks(xs, [day.day.strftime("%m-%d") for day in days])
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_ylabel(words.requests, fontproperties=text)
    bars.set_title(words.title, fontproperties=text)
    line = bars.twinx()
    coverage = [math.nan if day.rollcall_percent is None else day.rollcall_percent for day in days]
    line.plot(xs, coverage, marker="o", color=COLOURS["coverage"], label=words.coverage)
    line.set_ylim(0, 105)
    line.set_ylabel("%")
    handles = bars.get_legend_handles_labels()
    more = line.get_legend_handles_labels()
    bars.legend(handles[0] + more[0], handles[1] + more[1], prop=text, loc="upper left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _render(days: Sequence[DayCounts], reader: ChartWords, fallback: ChartWords) -> bytes | None:
    try:
        font = cjk_font()
        return draw_chart(days, choose_words(reader, fallback, font), font)
    except ImportError:
        log.warning("matplotlib is not installed: the report goes without its chart")
        return None


async def report_chart(ctx: Emitter, days: Sequence[DayCounts], lang: str) -> bytes | None:
    """The chart for a reader, drawn in a worker thread (CPU work); None if it cannot be drawn."""
    reader, fallback = chart_words(ctx, lang), chart_words(ctx, FALLBACK_LANGUAGE)
    return await asyncio.to_thread(_render, days, reader, fallback)
