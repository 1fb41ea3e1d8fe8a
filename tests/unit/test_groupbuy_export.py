"""The organiser's CSV and XLSX exports read back to exactly the board's rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from handlers.groupbuy_export import export_csv, export_rows, export_xlsx
from models.groupbuy import (
    Board,
    close_groupbuy,
    household_names,
    mark_arrived,
    pick_up,
    set_paid,
)
from tests.unit.test_groupbuy import (
    DEADLINE,
    EGGS,
    GROUP,
    NOW,
    VEG,
    Sessions,
    _board,
    _manage,
    _open,
    _order,
    _stocked,
    _world,
)

HEADERS = ["房号", "住户", "商品代号", "商品", "数量", "金额(元)", "已付款", "已取货"]


async def _exported(sessions: Sessions) -> tuple[Board, dict[int, str]]:
    """A group-buy with two-member households, a paid room, a pickup and a waitlisted order."""
    world = await _world(sessions, ["3-502", "1-1201", "1-301"], members=2)
    gb = await _open(sessions, world, VEG, EGGS, _stocked(1, "C", 1999))
    first, second, third = world.households
    await _order(sessions, gb, first, A=2, B=1)
    await _order(sessions, gb, second, B=3, C=1)
    await _order(sessions, gb, third, A=1, C=2)  # C is gone: both units wait
    await _manage(sessions, gb, set_paid, room_text="3-502", paid=True, actor=world.leader, now=NOW)
    await _manage(sessions, gb, close_groupbuy, actor=world.leader, now=NOW + timedelta(hours=1))
    await _manage(sessions, gb, mark_arrived, actor=world.leader, now=DEADLINE)
    code = (await _board(sessions, gb)).line_of(second).pickup_code
    async with sessions() as s, s.begin():
        await pick_up(s, chat_id=GROUP, code_text=code, actor=world.leader, now=DEADLINE)
    board = await _board(sessions, gb)
    async with sessions() as s:
        names = await household_names(s, (line.household_id for line in board.lines))
    return board, names


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _expected(board: Board, names: dict[int, list[str]]) -> list[list[str]]:
    """What a spreadsheet user should see, derived from the board (not from export_rows)."""
    items = {item.code: item for item in board.items}
    return [
        [
            line.room,
            "、".join(names[line.household_id]),
            code,
            items[code].name,
            str(quantity),
            _yuan(quantity * items[code].price_cents),
            str(int(line.paid)),
            str(int(line.picked_up)),
        ]
        for line in board.distribution()
        for code, quantity in line.quantities.items()
    ]


async def test_rows_follow_the_pick_list(sessions: Sessions) -> None:
    """One row per household and confirmed item, in walking order; waitlisted units are absent."""
    board, names = await _exported(sessions)
    rows = list(export_rows(board, names))
    assert [(room, code, quantity) for room, _, code, _, quantity, *_ in rows] == [
        ("1-301", "A", 1),
        ("1-1201", "B", 3),
        ("1-1201", "C", 1),
        ("3-502", "A", 2),
        ("3-502", "B", 1),
    ]
    assert rows[0][1] == "住户1-301-0、住户1-301-1"
    assert rows[1][5] == Decimal("115.5") and rows[2][5] == Decimal("19.99")
    assert [(paid, picked) for *_, paid, picked in rows] == [
        (False, False),
        (False, True),
        (False, True),
        (True, False),
        (True, False),
    ]


async def test_csv_parses_back_to_the_board(sessions: Sessions) -> None:
    """UTF-8 with a BOM (Excel shows the Chinese), headers first, amounts with two decimals."""
    board, names = await _exported(sessions)
    data = export_csv(board, names, HEADERS)
    assert data.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == HEADERS
    assert rows == _expected(board, names)
    assert rows[1][5] == "115.50" and rows[3][5] == "90.00"


async def test_xlsx_parses_back_to_the_board(sessions: Sessions) -> None:
    """One sheet, header frozen, amounts as numbers shown with two decimals, flags as booleans."""
    board, names = await _exported(sessions)
    book = load_workbook(io.BytesIO(export_xlsx(board, names, HEADERS)))
    sheet = book.active
    assert sheet is not None and sheet.title == f"groupbuy-{board.groupbuy.id}"
    assert sheet.freeze_panes == "A2"
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == HEADERS
    read_back = [
        [
            room,
            household,
            code,
            name,
            str(quantity),
            f"{Decimal(str(amount)):.2f}",
            str(int(paid)),
            str(int(picked)),
        ]
        for room, household, code, name, quantity, amount, paid, picked in rows
    ]
    assert read_back == _expected(board, names)
    assert all(isinstance(row[4], int) and isinstance(row[6], bool) for row in rows)
    assert all(sheet.cell(row=r, column=6).number_format == "0.00" for r in range(2, len(rows) + 2))


async def test_empty_groupbuy_exports_headers_only(sessions: Sessions) -> None:
    """Nothing ordered yet: the files still open, with just the header row."""
    world = await _world(sessions)
    board = await _board(sessions, await _open(sessions, world))
    header, *rows = list(
        csv.reader(io.StringIO(export_csv(board, {}, HEADERS).decode("utf-8-sig")))
    )
    assert (header, rows) == (HEADERS, [])
    sheet = load_workbook(io.BytesIO(export_xlsx(board, {}, HEADERS))).active
    assert sheet is not None and sheet.max_row == 1
