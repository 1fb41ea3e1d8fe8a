"""A building's roster as CSV and XLSX for its leaders; a volunteer's shifts as an .ics calendar.

`/export roster` arrives here from the group-buy /export command (one command name, one
handler: it dispatches on its first word); `/myshifts ics` from the shifts handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event

from bot.context import Ctx
from handlers.groupbuy_views import to_leader
from handlers.identity import sender_person
from handlers.spreadsheets import csv_file, xlsx_file
from models.people import Person
from models.shift_roster import RosterLine, building_names, roster_building, roster_export
from models.shifts import Shift, shifts_of

EXPORT_LINK = "rx"  # /start rx<building>: the roster export, asked for in a group
# Volunteers on one shift in one spreadsheet cell, the way Chinese lists names.
NAME_SEPARATOR = "、"
PRODID = "-//Linli//shifts//EN"


# -- the files ----------------------------------------------------------------------------------


def _cells(line: RosterLine) -> list[object]:
    return [
        line.day.isoformat(),
        line.post,
        line.start,
        line.end,
        line.slots,
        line.filled,
        NAME_SEPARATOR.join(line.volunteers),
        line.checked_in,
        line.checked_out,
        line.minutes,
    ]


def roster_csv(lines: Iterable[RosterLine], headers: Sequence[str]) -> bytes:
    """The roster as CSV: one row per shift."""
    return csv_file(headers, (_cells(line) for line in lines))


def roster_xlsx(lines: Iterable[RosterLine], headers: Sequence[str]) -> bytes:
    """The roster as an XLSX workbook: one row per shift, counts and minutes as numbers."""
    return xlsx_file("roster", headers, (_cells(line) for line in lines))


def shifts_ics(shifts: Iterable[Shift], buildings: Mapping[int, str], now: datetime) -> bytes:
    """An iCalendar file: one event per shift, in UTC, with a UID that stays the same per shift.

    The stable UID lets a calendar app update an event when the file is imported again,
    instead of adding a duplicate.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    for shift in shifts:
        event = Event()
        event.add("uid", f"shift-{shift.id}@linli")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", shift.starts_at.astimezone(UTC))
        event.add("dtend", shift.ends_at.astimezone(UTC))
        event.add("summary", shift.post)
        event.add("description", buildings.get(shift.building_id, ""))
        calendar.add_component(event)
    return calendar.to_ical()


# -- /export roster -------------------------------------------------------------------------------


async def prepare_roster(ctx: Ctx, building_id: int) -> Callable[[Person], None]:
    """Check the leader's authority and read the roster now; the returned call sends the files."""
    lines = await roster_export(
        ctx.session,
        building_id=building_id,
        leader=await sender_person(ctx),
        now=ctx.clock.now(),
        tz=ctx.settings.tz,
    )

    def deliver(leader: Person) -> None:
        lang = leader.language or ctx.lang
        headers = ctx.label("roster_export_headers", lang=lang).split("|")
        stem = f"roster-{building_id}"
        ctx.send_file(leader.tg_user_id, f"{stem}.csv", roster_csv(lines, headers))
        ctx.send_file(
            leader.tg_user_id,
            f"{stem}.xlsx",
            roster_xlsx(lines, headers),
            caption="shifts/roster_export_caption",
            lang=lang,
            shifts=len(lines),
            filled=sum(line.filled for line in lines),
            slots=sum(line.slots for line in lines),
        )

    return deliver


async def export_roster(ctx: Ctx) -> None:
    """/export roster: the building's shifts as CSV and XLSX, privately (or a start link)."""
    chat = ctx.incoming.chat
    building = await roster_building(
        ctx.session, await sender_person(ctx), chat.id if chat.is_group else None
    )
    deliver = await prepare_roster(ctx, building.id)
    await to_leader(ctx, f"{EXPORT_LINK}{building.id}", deliver)


async def open_roster_link(ctx: Ctx) -> None:
    """/start rx<building>: the export asked for in a group; the opener's authority is checked."""
    building_id = int(ctx.incoming.args.strip()[len(EXPORT_LINK) :])
    deliver = await prepare_roster(ctx, building_id)
    deliver(await sender_person(ctx))


# -- /myshifts ics --------------------------------------------------------------------------------


async def send_calendar(ctx: Ctx) -> None:
    """/myshifts ics: one's coming shifts as a calendar file, in this private chat."""
    now = ctx.clock.now()
    mine = await shifts_of(ctx.session, ctx.person, now)
    names = await building_names(ctx.session, {shift.building_id for shift in mine})
    ctx.send_file(
        ctx.incoming.chat.id,
        "linli-shifts.ics",
        shifts_ics(mine, names, now),
        caption="shifts/ics_caption",
        lang=ctx.lang,
        shifts=len(mine),
    )
