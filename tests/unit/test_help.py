"""commands_for: every kind of asker, in every kind of chat, sees exactly what they may use."""

from __future__ import annotations

import pytest

from handlers import ROUTERS
from handlers.help import Standing, commands_for

ROUTES = [route for router in ROUTERS for route in router.commands.values()]

EVERYONE_PRIVATE = {"start", "cancel", "volunteer", "me", "lang", "forgetme", "help"}
LEADER_PRIVATE = {"pending"}
LEADER_ANYWHERE = {"close", "reopen", "extend", "cancelbuy", "paid", "unpaid", "summary"}
LEADER_ANYWHERE |= {"export", "arrived", "uncollected", "report"}
LEADER_IN_GROUP = LEADER_ANYWHERE | {"groupbuy", "leader", "unleader"}

# (asker, chat, standing, commands they must see, commands they must not see)
TABLE = [
    (
        "resident",
        "private",
        Standing(in_group=False),
        EVERYONE_PRIVATE,
        {"rest", "back", "picked", "register", "join", "bind", "coordinator"}
        | LEADER_ANYWHERE
        | LEADER_PRIVATE,
    ),
    (
        "volunteer",
        "private",
        Standing(in_group=False, volunteer=True),
        EVERYONE_PRIVATE | {"rest", "back", "picked"},
        LEADER_ANYWHERE,
    ),
    (
        "leader",
        "private",
        Standing(in_group=False, leader=True),
        EVERYONE_PRIVATE | LEADER_ANYWHERE | LEADER_PRIVATE | {"picked"},
        {"rest", "back", "groupbuy", "bind", "register", "coordinator"},
    ),
    (
        "coordinator",
        "private",
        Standing(in_group=False, coordinator=True),
        EVERYONE_PRIVATE | LEADER_ANYWHERE | LEADER_PRIVATE | {"coordinator", "picked"},
        {"rest", "back", "groupbuy", "bind", "register"},
    ),
    (
        "resident",
        "unbound group",
        Standing(in_group=True),
        {"help", "lang", "me"},
        {"register", "join", "leaders", "picked", "bind", "rest", "back"} | LEADER_IN_GROUP,
    ),
    (
        "volunteer",
        "unbound group",
        Standing(in_group=True, volunteer=True),
        {"help", "rest", "back"},
        {"register", "join", "picked"} | LEADER_IN_GROUP,
    ),
    (
        "admin",
        "unbound group",
        Standing(in_group=True, admin=True),
        {"bind", "help"},
        {"register", "join", "leaders", "picked"} | LEADER_IN_GROUP,
    ),
    (
        "resident",
        "bound group",
        Standing(in_group=True, bound=True),
        {"register", "join", "leaders", "help", "lang", "me"},
        {"rest", "back", "picked", "bind", "start", "forgetme"} | LEADER_IN_GROUP,
    ),
    (
        "volunteer",
        "bound group",
        Standing(in_group=True, bound=True, volunteer=True),
        {"register", "join", "rest", "back", "picked"},
        {"bind"} | LEADER_IN_GROUP,
    ),
    (
        "leader",
        "bound group",
        Standing(in_group=True, bound=True, leader=True),
        LEADER_IN_GROUP | {"picked", "register", "join", "leaders"},
        {"rest", "back", "bind"},
    ),
    (
        # Administering a group grants no leadership: only /bind, which may become a request.
        "admin",
        "bound group",
        Standing(in_group=True, bound=True, admin=True),
        {"bind", "register", "join"},
        {"picked", "rest", "back"} | LEADER_IN_GROUP,
    ),
]


@pytest.mark.parametrize(
    ("standing", "shown", "hidden"),
    [row[2:] for row in TABLE],
    ids=[f"{asker} in {chat}" for asker, chat, *_ in TABLE],
)
def test_commands_for(standing: Standing, shown: set[str], hidden: set[str]) -> None:
    """What /help lists for one kind of asker in one kind of chat."""
    names = commands_for(ROUTES, standing)
    assert shown <= set(names), sorted(shown - set(names))
    assert not hidden & set(names), sorted(hidden & set(names))
    assert len(names) == len(set(names))


def test_every_command_is_listed_for_someone() -> None:
    """A command no one is ever shown would be undiscoverable."""
    listed: set[str] = set()
    for _asker, _chat, standing, _shown, _hidden in TABLE:
        listed |= set(commands_for(ROUTES, standing))
    assert listed == {route.name for route in ROUTES}
