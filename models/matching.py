"""Which volunteers to ask first about a help request: a pure rule, tested on its own.

Asked are volunteers who are not resting, whom Linli can reach privately and whose skills fit
the category; those of the request's building come before the rest of the community, and among
them those with the fewest open tasks. Ties go to the longest-registered (lowest id), so the
same inputs always give the same answer. A vulnerable resident's named volunteer (care pairs)
is asked first, whatever their skills: they know the person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Skills that fit each category of help; a category not listed (other) fits every volunteer.
CATEGORY_SKILLS: dict[str, frozenset[str]] = {
    "medicine": frozenset({"medical", "nursing", "delivery"}),
    "food": frozenset({"delivery", "driving", "other"}),
    "medical": frozenset({"driving", "medical"}),
    "psych": frozenset({"psych"}),
    "care": frozenset({"elderly_care", "nursing"}),
    "errand": frozenset({"delivery", "driving", "other"}),
}
ASKED = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """A volunteer as the matching rule sees them."""

    person_id: int
    building_id: int | None
    skills: frozenset[str]
    available: bool
    reachable: bool
    open_tasks: int


def fits(category: str, skills: Iterable[str]) -> bool:
    """True if someone with these skills can help with this category."""
    wanted = CATEGORY_SKILLS.get(category)
    return wanted is None or bool(wanted & set(skills))


def match_volunteers(
    candidates: Sequence[Candidate],
    *,
    category: str,
    building_id: int | None,
    exclude: Iterable[int] = (),
    guardians: Iterable[int] = (),
    limit: int = ASKED,
) -> list[Candidate]:
    """The volunteers to message privately about a request: named guardians, then the best."""
    excluded, named = set(exclude), set(guardians)
    ready = [c for c in candidates if c.available and c.reachable and c.person_id not in excluded]
    first = sorted((c for c in ready if c.person_id in named), key=lambda c: c.person_id)
    eligible = [c for c in ready if c.person_id not in named and fits(category, c.skills)]
    eligible.sort(key=lambda c: (c.building_id != building_id, c.open_tasks, c.person_id))
    return first + eligible[:limit]
