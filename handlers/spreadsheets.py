"""Tables as files a leader opens in Excel or WPS: CSV and XLSX, from headers and rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence


def csv_file(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows Chinese names correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_file(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    number_formats: Mapping[int, str] | None = None,
) -> bytes:
    """An XLSX workbook with one sheet, its header row frozen; numbers stay numbers.

    `number_formats` maps a 1-based column to an Excel format (e.g. "0.00" for yuan).
    """
    # Imported here: openpyxl (with numpy) adds ~25 MB to every bot process that never exports.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
        for column, number_format in (number_formats or {}).items():
            sheet.cell(row=sheet.max_row, column=column).number_format = number_format
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
