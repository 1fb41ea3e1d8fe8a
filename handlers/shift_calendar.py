"""A volunteer's shifts as an iCalendar file (`/myshifts ics`), built with `icalendar`."""

from __future__ import annotations

from icalendar import Calendar, Event

from models.shifts import Shift


def calendar_of(shifts: list[Shift], building: str) -> bytes:
    """An iCalendar file of shifts, one event each, with stable ids so updates replace them."""
    calendar = Calendar()
    calendar.add("prodid", "-//Linli//shifts//EN")
    calendar.add("version", "2.0")
    for shift in shifts:
        event = Event()
        event.add("uid", f"shift-{shift.id}@linli")
        event.add("summary", f"{shift.ref} {shift.post}")
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("dtstamp", shift.created_at)
        event.add("location", building)
        calendar.add_component(event)
    return calendar.to_ical()
