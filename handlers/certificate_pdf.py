"""The service certificate as a PDF: layout only; every word comes in, already translated.

reportlab's built-in CID font STSong-Light (Adobe-GB1) renders Chinese and Latin text without
any font file: PDF readers supply the glyphs, so nothing is downloaded or bundled at run time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"


@dataclass(frozen=True, slots=True)
class CertificateText:
    """What the certificate says, in the reader's language."""

    title: str
    statement: str
    facts: Sequence[tuple[str, str]]  # (label, value): name, community, period, hours, ...
    headers: Sequence[str]  # of the services table: date, kind, hours
    rows: Sequence[tuple[str, str, str]]
    footer: Sequence[str]  # issuer, date, verification code and how to check it


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=TA_CENTER)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=13)
    return title, body, small


def certificate_pdf(text: CertificateText) -> bytes:
    """An A4 PDF: title, statement, the facts, the table of services, the issuer and code."""
    title, body, small = _styles()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=text.title,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    # Paragraphs read a small markup language: user values (names) are escaped into it.
    facts = Table(
        [[Paragraph(escape(k), body), Paragraph(escape(v), body)] for k, v in text.facts],
        colWidths=[40 * mm, 130 * mm],
    )
    # The header row repeats on every page of a long table.
    services = Table(
        [list(text.headers), *[list(row) for row in text.rows]],
        colWidths=[45 * mm, 85 * mm, 40 * mm],
        repeatRows=1,
    )
    services.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _font(), 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph(escape(text.title), title),
        Spacer(1, 8 * mm),
        Paragraph(escape(text.statement), body),
        Spacer(1, 6 * mm),
        facts,
        Spacer(1, 6 * mm),
        services,
        Spacer(1, 10 * mm),
        *[Paragraph(escape(line), small) for line in text.footer],
    ]
    document.build(story)
    return out.getvalue()
