"""The matching rule: who is asked first about a help request (a pure function)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models.matching import CATEGORY_SKILLS, Candidate, fits, match_volunteers
from models.people import SKILLS


def _v(
    pid: int,
    building: int | None = 1,
    skills: tuple[str, ...] = ("medical",),
    *,
    available: bool = True,
    reachable: bool = True,
    open_tasks: int = 0,
) -> Candidate:
    return Candidate(pid, building, frozenset(skills), available, reachable, open_tasks)


def _ids(found: list[Candidate]) -> list[int]:
    return [c.person_id for c in found]


def test_skills_decide_who_fits() -> None:
    """Medicine wants medical, nursing or errands; a psychologist is not sent for pills."""
    assert fits("medicine", ["nursing"]) and fits("medicine", ["delivery"])
    assert not fits("medicine", ["psych"])
    assert fits("medical", ["driving"]) and not fits("medical", ["nursing"])
    assert fits("psych", ["psych"]) and not fits("psych", ["medical"])
    assert fits("care", ["elderly_care"]) and not fits("care", ["driving"])
    assert fits("other", ["legal"])  # "other" fits everyone


def test_same_building_first_then_fewest_open_tasks() -> None:
    """Building 1's volunteers come first, the least busy of them first; at most three."""
    candidates = [
        _v(1, building=2, open_tasks=0),
        _v(2, building=1, open_tasks=2),
        _v(3, building=1, open_tasks=0),
        _v(4, building=None, open_tasks=0),
        _v(5, building=1, open_tasks=1),
    ]
    assert _ids(match_volunteers(candidates, category="medicine", building_id=1)) == [3, 5, 2]
    assert _ids(match_volunteers(candidates, category="medicine", building_id=2)) == [1, 3, 4]


def test_resting_unreachable_unfit_and_excluded_are_never_asked() -> None:
    """Nobody resting, unreachable, without the skill, or of the asking household."""
    candidates = [
        _v(1, available=False),
        _v(2, reachable=False),
        _v(3, skills=("psych",)),
        _v(4),
        _v(5),
    ]
    found = match_volunteers(candidates, category="medicine", building_id=1, exclude=[5])
    assert _ids(found) == [4]


def test_a_named_guardian_is_asked_first_whatever_their_skills() -> None:
    """The care volunteer of the room comes first (if reachable and not resting), then three."""
    candidates = [_v(1), _v(2), _v(3), _v(4), _v(9, skills=("psych",)), _v(8, available=False)]
    found = match_volunteers(candidates, category="medicine", building_id=1, guardians=[9, 8])
    assert _ids(found) == [9, 1, 2, 3]


candidate_lists = st.lists(
    st.builds(
        Candidate,
        person_id=st.integers(1, 50),
        building_id=st.one_of(st.none(), st.integers(1, 3)),
        skills=st.frozensets(st.sampled_from(SKILLS), max_size=3),
        available=st.booleans(),
        reachable=st.booleans(),
        open_tasks=st.integers(0, 5),
    ),
    max_size=20,
)


@given(
    candidates=candidate_lists,
    category=st.sampled_from([*CATEGORY_SKILLS, "other"]),
    building=st.integers(1, 3),
)
def test_whoever_is_asked_could_really_help(
    candidates: list[Candidate], category: str, building: int
) -> None:
    """Every answer is at most three eligible people, ordered by building, then load."""
    found = match_volunteers(candidates, category=category, building_id=building)
    assert len(found) <= 3
    assert all(c.available and c.reachable and fits(category, c.skills) for c in found)
    keys = [(c.building_id != building, c.open_tasks, c.person_id) for c in found]
    assert keys == sorted(keys)
    eligible = [c for c in candidates if c.available and c.reachable and fits(category, c.skills)]
    assert len(found) == min(3, len(eligible))
