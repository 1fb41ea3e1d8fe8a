"""The leaders' report: `/report [today|week|month]` with a chart, the daily report, and
`/export tasks|hours` (routed here from /export).

Everything is for the buildings the asker leads (a coordinator: all of them) and goes to their
private chat; asked in a group, the group hears only "sent privately", or gets a start link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.context import Ctx, Emitter
from bot.refusals import Usage
from bot.routing import Router
from handlers.groupbuy_views import to_leader
from handlers.identity import can_reach, sender_person
from handlers.report_chart import report_chart
from handlers.spreadsheets import csv_file, xlsx_file
from models.people import Person
from models.reports import (
    HoursLine,
    LeadersReport,
    ReportPeriod,
    TaskLine,
    due_daily_reports,
    hours_export,
    leaders_report,
    mark_daily_sent,
    set_daily_report,
    tasks_export,
)
from models.tasks import DONE

router = Router("reports")

REPORT_LINK = "lr"  # /start lr<period digit>: the report asked for in a group
TASKS_LINK, HOURS_LINK = "xt", "xh"  # /start xt<period digit>: an export asked for in a group
RUNS_SHOWN = 12  # rollcall runs listed in the message, the latest; the rest are counted
PERIOD_WORDS = {
    "today": ReportPeriod.TODAY,
    "今天": ReportPeriod.TODAY,
    "今日": ReportPeriod.TODAY,
    "week": ReportPeriod.WEEK,
    "本周": ReportPeriod.WEEK,
    "month": ReportPeriod.MONTH,
    "本月": ReportPeriod.MONTH,
}
# Start links carry digits only: 0 is "all time" (the exports' default).
PERIOD_DIGITS: dict[ReportPeriod | None, str] = {
    None: "0",
    ReportPeriod.TODAY: "1",
    ReportPeriod.WEEK: "2",
    ReportPeriod.MONTH: "3",
}
DIGIT_PERIODS = {digit: period for period, digit in PERIOD_DIGITS.items()}
TIME = "%Y-%m-%d %H:%M"


def _period(words: list[str], command: str) -> ReportPeriod | None:
    """The period a command names (None if it names none); anything else shows the usage."""
    if not words:
        return None
    if len(words) == 1 and words[0].lower() in PERIOD_WORDS:
        return PERIOD_WORDS[words[0].lower()]
    raise Usage(command=command)


def _linked_period(ctx: Ctx, prefix: str) -> ReportPeriod | None:
    digit = ctx.incoming.args.strip()[len(prefix) :]
    if digit not in DIGIT_PERIODS:
        raise Usage(command="report")
    return DIGIT_PERIODS[digit]


# -- /report --------------------------------------------------------------------------------------


@router.command("report", audience="leader")
async def report(ctx: Ctx) -> None:
    """/report [today|week|month]: the buildings' figures and a chart, privately."""
    words = ctx.incoming.args.split()
    if words and words[0].lower() == "daily":
        await _daily(ctx, words[1:])
        return
    period = _period(words, "report") or ReportPeriod.TODAY
    leader = await sender_person(ctx)
    figures = await _figures(ctx, leader, period)  # refuses a non-leader before anything else
    # Not groupbuy_views.to_leader: the chart is drawn (in a thread) only for a reachable leader.
    if not can_reach(leader):
        link = ctx.deep_link(f"{REPORT_LINK}{PERIOD_DIGITS[period]}")
        ctx.reply("groupbuy/open_privately", link=link)
        return
    await send_report(ctx, leader, figures)
    if ctx.incoming.chat.is_group:
        ctx.reply("groupbuy/sent_privately")


@router.deep_link(REPORT_LINK)
async def open_report_link(ctx: Ctx) -> None:
    """/start lr<period>: the report asked for in a group; the opener's authority is checked."""
    period = _linked_period(ctx, REPORT_LINK) or ReportPeriod.TODAY
    leader = await sender_person(ctx)
    await send_report(ctx, leader, await _figures(ctx, leader, period))


async def _figures(ctx: Emitter, leader: Person, period: ReportPeriod) -> LeadersReport:
    return await leaders_report(
        ctx.session, leader=leader, period=period, now=ctx.clock.now(), tz=ctx.settings.tz
    )


async def send_report(
    ctx: Emitter, leader: Person, figures: LeadersReport, *, daily: bool = False
) -> None:
    """The report's message, then its chart, to the leader's private chat in their language."""
    lang = leader.language or ctx.lang
    chat = leader.tg_user_id
    shown = figures.runs[-RUNS_SHOWN:]
    ctx.send(
        chat,
        "reports/report",
        lang=lang,
        r=figures,
        runs=shown,
        more_runs=len(figures.runs) - len(shown),
        daily=daily,
    )
    chart = await report_chart(ctx, figures.days, lang)
    if chart is not None:
        ctx.send_picture(
            chat,
            f"linli-report-{figures.last_day.isoformat()}.png",
            chart,
            caption="reports/chart_caption",
            lang=lang,
            first=figures.days[0].day,
            last=figures.days[-1].day,
        )


# -- the daily report -------------------------------------------------------------------------


async def _daily(ctx: Ctx, words: list[str]) -> None:
    """/report daily on|off: the day's report privately at the configured time, or no more."""
    if len(words) != 1 or words[0].lower() not in ("on", "off"):
        raise Usage(command="report")
    on = words[0].lower() == "on"
    person = await sender_person(ctx)
    await set_daily_report(ctx.session, person, on, ctx.clock.now())
    ctx.reply(
        "reports/daily_set",
        on=on,
        at=ctx.settings.report_daily_at,
        reachable=can_reach(person),
        link=ctx.deep_link(f"{REPORT_LINK}{PERIOD_DIGITS[ReportPeriod.TODAY]}"),
    )


@router.job
async def daily_reports(ctx: Emitter) -> None:
    """At the configured time: each subscribed leader gets the day's report, once a day."""
    now, tz = ctx.clock.now(), ctx.settings.tz
    for leader in await due_daily_reports(ctx.session, now, tz, ctx.settings.report_time):
        figures = await _figures(ctx, leader, ReportPeriod.TODAY)
        # Marked in this job's transaction: a restart, a second tick or replica sends none again.
        if await mark_daily_sent(ctx.session, leader, now, tz):
            await send_report(ctx, leader, figures, daily=True)


# -- /export tasks, /export hours -----------------------------------------------------------------

EXPORTS = ("tasks", "hours")


async def export_records(ctx: Ctx, what: str, words: list[str]) -> None:
    """/export tasks|hours [today|week|month]: the rows as CSV and XLSX, privately."""
    period = _period(words, "export")
    prepare = _prepare_tasks if what == "tasks" else _prepare_hours
    deliver = await prepare(ctx, period)  # refuses a non-leader before anything else
    prefix = TASKS_LINK if what == "tasks" else HOURS_LINK
    await to_leader(ctx, f"{prefix}{PERIOD_DIGITS[period]}", deliver)


Deliver = Callable[[Person], None]


def _local(ctx: Emitter, at: datetime | None) -> str:
    return at.astimezone(ctx.settings.tz).strftime(TIME) if at else ""


async def _prepare_tasks(ctx: Ctx, period: ReportPeriod | None) -> Deliver:
    lines = await tasks_export(
        ctx.session,
        leader=await sender_person(ctx),
        period=period,
        now=ctx.clock.now(),
        tz=ctx.settings.tz,
    )

    def deliver(leader: Person) -> None:
        lang = leader.language or ctx.lang

        def cells(line: TaskLine) -> list[object]:
            waited = (
                round((line.claimed_at - line.created_at).total_seconds() / 60)
                if line.claimed_at
                else ""
            )
            return [
                line.id,
                ctx.label("task_kind", line.kind, lang=lang),
                line.building,
                ctx.label("task_status", line.status, lang=lang),
                line.priority,
                _local(ctx, line.created_at),
                _local(ctx, line.claimed_at),
                waited,
                _local(ctx, line.closed_at),
                _local(ctx, line.due_at),
                line.assignee or "",
            ]

        headers = ctx.label("tasks_export_headers", lang=lang).split("|")
        _send_files(
            ctx,
            leader,
            ("linli-tasks", headers, [cells(line) for line in lines]),
            "reports/tasks_export_caption",
            lang=lang,
            tasks=len(lines),
            done=sum(1 for line in lines if line.status == DONE),
            period=str(period) if period else "all",
        )

    return deliver


async def _prepare_hours(ctx: Ctx, period: ReportPeriod | None) -> Deliver:
    lines = await hours_export(
        ctx.session,
        leader=await sender_person(ctx),
        period=period,
        now=ctx.clock.now(),
        tz=ctx.settings.tz,
    )

    def deliver(leader: Person) -> None:
        lang = leader.language or ctx.lang

        def cells(line: HoursLine) -> list[object]:
            return [
                line.volunteer or ctx.label("forgotten_volunteer", lang=lang),
                line.building,
                line.started_at.astimezone(ctx.settings.tz).date().isoformat(),
                ctx.label("service_kind", line.kind, lang=lang),
                line.minutes,
                round(line.minutes / 60, 2),
                line.source,
            ]

        headers = ctx.label("hours_export_headers", lang=lang).split("|")
        _send_files(
            ctx,
            leader,
            ("linli-hours", headers, [cells(line) for line in lines]),
            "reports/hours_export_caption",
            lang=lang,
            rows=len(lines),
            minutes=sum(line.minutes for line in lines),
            period=str(period) if period else "all",
        )

    return deliver


Table = tuple[str, list[str], list[list[object]]]  # file stem, headers, rows


def _send_files(
    ctx: Emitter, leader: Person, table: Table, caption: str, *, lang: str, **values: object
) -> None:
    """The table as CSV, then as XLSX with the caption that sums it up."""
    stem, headers, rows = table
    ctx.send_file(leader.tg_user_id, f"{stem}.csv", csv_file(headers, rows))
    ctx.send_file(
        leader.tg_user_id,
        f"{stem}.xlsx",
        xlsx_file(stem, headers, rows),
        caption=caption,
        lang=lang,
        **values,
    )


def _export_link(what: str, prefix: str) -> Callable[[Ctx], object]:
    async def open_link(ctx: Ctx) -> None:
        prepare = _prepare_tasks if what == "tasks" else _prepare_hours
        deliver = await prepare(ctx, _linked_period(ctx, prefix))
        deliver(await sender_person(ctx))

    open_link.__doc__ = f"/start {prefix}<period>: /export {what} asked for in a group."
    return open_link


router.deep_link(TASKS_LINK)(_export_link("tasks", TASKS_LINK))
router.deep_link(HOURS_LINK)(_export_link("hours", HOURS_LINK))
