"""Jinja2 templates in zh and en: every user-visible string lives here."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from models.languages import LANGUAGES

_TAG = re.compile(r"<[^>]+>")
TEMPLATE_DIR = Path(__file__).parent / "templates"


def pick_language(chosen: str | None, telegram_code: str | None, default: str) -> str:
    """The person's choice, else Telegram's language_code (zh* → zh), else the default."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code:
        code = telegram_code.lower()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return default


def format_hours(span: timedelta) -> str:
    """A span as hours with at most one decimal: 8, 7.5."""
    hours = round(span.total_seconds() / 3600, 1)
    return f"{hours:g}"


def format_cents(cents: int) -> str:
    """Integer cents as yuan for display: 4550 → ¥45.50."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}¥{whole}.{frac:02d}"


class Texts:
    """Renders message templates (`<lang>/<name>.j2`) and labels (macros in `<lang>/labels.j2`)."""

    def __init__(self, tz: ZoneInfo, directory: Path = TEMPLATE_DIR) -> None:
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            enable_async=False,
            # Templates change only with a deploy (which restarts the bot): without this Jinja
            # stat()s the file on every render to see whether to compile it again.
            auto_reload=False,
        )
        self.env.filters["when"] = lambda dt: dt.astimezone(tz).strftime("%m-%d %H:%M")
        self.env.filters["day"] = lambda dt: dt.astimezone(tz).strftime("%Y-%m-%d")
        self.env.filters["clock"] = lambda dt: dt.astimezone(tz).strftime("%H:%M")
        self.env.globals["hours"] = format_hours
        self.env.filters["money"] = format_cents
        self._labels = {
            lang: self.env.get_template(f"{lang}/labels.j2").module for lang in LANGUAGES
        }

    def render(self, lang: str, name: str, /, **values: Any) -> str:
        """Render `<lang>/<name>.j2` to HTML text for Telegram."""
        template = self.env.get_template(f"{lang}/{name}.j2")
        return template.render(lang=lang, L=self._labels[lang], **values).strip()

    def plain(self, lang: str, name: str, /, **values: Any) -> str:
        """Render a template as plain text (for button-tap answers, which show no HTML)."""
        return html.unescape(_TAG.sub("", self.render(lang, name, **values)))

    def label(self, lang: str, name: str, *args: Any) -> str:
        """Call the macro `name` of `<lang>/labels.j2`, as plain text (for buttons)."""
        macro = getattr(self._labels[lang], name)
        # Macros autoescape for use inside HTML messages; button texts are plain text.
        return html.unescape(str(macro(*args))).strip()

    def template_names(self, lang: str) -> set[str]:
        """The message templates of one language (without the language prefix)."""
        prefix = f"{lang}/"
        return {
            name.removeprefix(prefix).removesuffix(".j2")
            for name in self.env.list_templates(extensions=["j2"])
            if name.startswith(prefix)
        }

    def label_names(self, lang: str) -> set[str]:
        """The label macros one language defines."""
        module = self._labels[lang]
        return {name for name in dir(module) if not name.startswith("_")}
