"""A group-buy's orders as CSV and XLSX files for the organiser (private chat only)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

from handlers.spreadsheets import csv_file, xlsx_file
from models.groupbuy import Board

# A household's members in one spreadsheet cell, the way Chinese lists names.
NAME_SEPARATOR = "、"
AMOUNT_COLUMN = 6  # the amount, in yuan

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
    """The orders as CSV; amounts in yuan with two decimals, paid and picked up as 1 or 0."""
    return csv_file(
        headers,
        (
            [*head, f"{amount:.2f}", int(paid), int(picked)]
            for *head, amount, paid, picked in export_rows(board, names)
        ),
    )


def export_xlsx(board: Board, names: Mapping[int, Sequence[str]], headers: Sequence[str]) -> bytes:
    """An XLSX workbook with one sheet of orders; amounts are numbers formatted as yuan."""
    return xlsx_file(
        f"groupbuy-{board.groupbuy.id}",
        headers,
        export_rows(board, names),
        number_formats={AMOUNT_COLUMN: "0.00"},
    )
