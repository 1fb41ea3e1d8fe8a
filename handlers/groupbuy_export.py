"""A group-buy's orders as CSV and XLSX files for the organiser (private chat only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

from models.groupbuy import Board

# A household's members in one spreadsheet cell, the way Chinese lists names.
NAME_SEPARATOR = "、"

Row = tuple[str, str, str, str, int, Decimal, bool, bool]


def export_rows(board: Board, names: Mapping[int, Sequence[str]]) -> Iterator[Row]:
    """One row per household and item, in pick-list order: what was ordered, paid, collected."""
    items = {item.code: item for item in board.items}
    for line in board.distribution():
        for code, quantity in line.quantities.items():
            item = items[code]
            yield (
                line.room,
                NAME_SEPARATOR.join(names.get(line.household_id, ())),
                code,
                item.name,
                quantity,
                Decimal(quantity * item.price_cents) / 100,
                line.paid,
                line.picked_up,
            )


def export_csv(board: Board, names: Mapping[int, Sequence[str]], headers: Sequence[str]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows Chinese names correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in export_rows(board, names):
        *head, amount, paid, picked = row
        writer.writerow([*head, f"{amount:.2f}", int(paid), int(picked)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(board: Board, names: Mapping[int, Sequence[str]], headers: Sequence[str]) -> bytes:
    """An XLSX workbook with one sheet of orders; amounts are numbers formatted as yuan."""
    # Imported here: openpyxl (with numpy) adds ~25 MB to every bot process that never exports.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"groupbuy-{board.groupbuy.id}"
    sheet.append(list(headers))
    for row in export_rows(board, names):
        *head, amount, paid, picked = row
        sheet.append([*head, amount, paid, picked])
        sheet.cell(row=sheet.max_row, column=6).number_format = "0.00"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
