"""/tasks: the one board over the one task table (help, shift slots, care gaps, follow-ups...).

Private only: a leader's board names who holds what, and a volunteer's lists what they may
take. Pages edit the same message; claim buttons are those of each task's own capability.
"""

from __future__ import annotations

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Keyboard
from bot.routing import Router
from handlers.help_requests import TakeHelp
from handlers.identity import sender_person
from handlers.shifts import TakeSlot
from models.task_board import (
    TaskPage,
    TaskRow,
    claim_board_task,
    finish_board_task,
    parse_task_filter,
    task_board,
    task_place,
)
from models.tasks import OPEN

router = Router("tasks")


@button("tk", "pg")
class TaskPageButton:
    """Another page of a board message (`board`: the update that asked for it)."""

    board: int
    filter: str
    page: int


@button("tk", "take")
class TakeTask:
    """Take a board task that has no capability button of its own (a follow-up)."""

    task: int


@button("tk", "done")
class FinishTask:
    """Mark a taken board task done."""

    task: int


def _claim_button(ctx: Ctx, row: TaskRow) -> Button | None:
    """The button that takes (or finishes) this row's task, for a volunteer's board."""
    task, label = row.task, ctx.label("task_take", row.ref)
    if task.status == OPEN:
        if task.kind == "help":
            return Button(label, TakeHelp(int(task.details["request"])).pack())
        if task.kind == "shift_slot":
            return Button(label, TakeSlot(int(task.details["shift"])).pack())
        return Button(label, TakeTask(task.id).pack())
    if row.mine and task.kind == "rollcall_followup":
        return Button(ctx.label("task_done", row.ref), FinishTask(task.id).pack())
    return None


def _show(ctx: Ctx, board: TaskPage, message: int) -> None:
    """Post (or, from a page button, edit) the board message."""
    rows = []
    if not board.leader:
        rows = [[b] for b in (_claim_button(ctx, r) for r in board.rows) if b is not None]
    pager = []
    if board.page > 1:
        pager.append(
            Button(
                ctx.label("page_back"), TaskPageButton(message, board.filter, board.page - 1).pack()
            )
        )
    if board.page < board.pages:
        pager.append(
            Button(
                ctx.label("page_next"), TaskPageButton(message, board.filter, board.page + 1).pack()
            )
        )
    ctx.live(
        f"tasks:{ctx.incoming.chat.id}:{message}",
        ctx.incoming.chat.id,
        "tasks/board",
        markup=Keyboard.of(*rows, pager),
        board=board,
    )


@router.command("tasks", where="private")
async def tasks(ctx: Ctx) -> None:
    """/tasks [mine|overdue|help|shift|care|followup|pickup]: the board, first page."""
    board = await task_board(
        ctx.session,
        await sender_person(ctx),
        filter=parse_task_filter(ctx.incoming.args),
        page=1,
        now=ctx.clock.now(),
    )
    _show(ctx, board, ctx.incoming.update_id)


@router.callback(TaskPageButton)
async def on_page(ctx: Ctx) -> None:
    """Another page, in the same message."""
    tap = tapped(ctx.button, TaskPageButton)
    board = await task_board(
        ctx.session,
        ctx.person,
        filter=parse_task_filter(tap.filter),
        page=tap.page,
        now=ctx.clock.now(),
    )
    _show(ctx, board, tap.board)
    ctx.answer()


@router.callback(TakeTask)
async def on_take(ctx: Ctx) -> None:
    """Take a follow-up (or another board-only task) of one's building."""
    task = await claim_board_task(
        ctx.session,
        task_id=tapped(ctx.button, TakeTask).task,
        volunteer=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    room = await task_place(ctx.session, task)
    ctx.reply("tasks/taken", kind=task.kind, ref=f"#{task.id}", room=room)
    ctx.answer()


@router.callback(FinishTask)
async def on_finish(ctx: Ctx) -> None:
    """The volunteer finished a board task they took."""
    task = await finish_board_task(
        ctx.session,
        task_id=tapped(ctx.button, FinishTask).task,
        volunteer=ctx.person,
        now=ctx.clock.now(),
    )
    ctx.reply("tasks/finished", kind=task.kind, ref=f"#{task.id}")
    ctx.answer()
