"""Domain exceptions: raised by models, turned into localised replies by handlers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


class DomainError(Exception):
    """A rule said no. `template` names the message that explains it to the user."""

    template = "errors/generic"
    # For a refused button tap: the /start payload of a private-chat link that fixes it.
    deep_link: str | None = None

    def __init__(self, **values: Any) -> None:
        super().__init__(self.template, values)
        self.values = values


class NotALeader(DomainError):
    """Only a leader of this building may do that."""

    template = "errors/not_leader"


class NotChatAdmin(DomainError):
    """Only the group's creator or an administrator may do that."""

    template = "errors/not_chat_admin"


class ChatNotBound(DomainError):
    """The group is not bound to a building yet."""

    template = "errors/chat_not_bound"


class NotRegistered(DomainError):
    """The person has no household yet; `payload` feeds the /start deep link ("" or "b<id>")."""

    template = "errors/not_registered"

    def __init__(self, payload: str = "") -> None:
        super().__init__(payload=payload)
        self.deep_link = payload


class InvalidRoom(DomainError):
    """A room number in a form Linli cannot read; values: `text` (what was typed)."""

    template = "errors/invalid_room"

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text)


class Usage(DomainError):
    """A command's argument is missing or malformed; values: `command` (its usage line is shown)."""

    template = "errors/usage"

    def __init__(self, command: str) -> None:
        super().__init__(command=command)


class StaleButton(DomainError):
    """A button whose data is unknown, forged or belongs to a finished step."""

    template = "errors/stale_button"


class LeaderTargetInvalid(DomainError):
    """The person to appoint cannot be a leader (a bot, or not in this group)."""

    template = "errors/leader_target"


class NotALeaderTarget(DomainError):
    """/unleader named someone who is not a leader of this building."""

    template = "errors/not_a_leader_target"


class NotAVolunteer(DomainError):
    """Only volunteers can rest or come back; they join with /volunteer."""

    template = "errors/not_a_volunteer"


class NoSkillsChosen(DomainError):
    """Joining the volunteer pool needs at least one skill."""

    template = "errors/no_skills"


class ForeignContact(DomainError):
    """Someone shared a contact that is not their own phone number."""

    template = "errors/foreign_contact"


class TaskTaken(DomainError):
    """Someone else claimed the task first (or it is closed)."""

    template = "errors/task_taken"


class TaskClosed(DomainError):
    """The task is already done or cancelled."""

    template = "errors/task_closed"


class BadTime(DomainError):
    """A time Linli cannot read; values: `text` (what was typed)."""

    template = "errors/when_bad_time"

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text)


class DeadlineInPast(DomainError):
    """A time that is not later than now; values: `text` (as typed), `when` (aware datetime)."""

    template = "errors/when_in_past"

    def __init__(self, text: str, when: datetime) -> None:
        super().__init__(text=text, when=when)


class GroupBuySyntax(DomainError):
    """A /groupbuy line of no known form; values: `line`, `expected` (the form it should take).

    `expected` is one of "item", "deadline", "pickup", "min", "title", "unknown".
    """

    template = "errors/gb_syntax"

    def __init__(self, line: str, expected: str) -> None:
        super().__init__(line=line, expected=expected)


class DuplicateItemCode(DomainError):
    """The same item code twice (in a /groupbuy message or in one order); values: `code`."""

    template = "errors/gb_duplicate_code"

    def __init__(self, code: str) -> None:
        super().__init__(code=code)


class DuplicateField(DomainError):
    """A /groupbuy field given twice; values: `field` ("deadline", "pickup" or "min")."""

    template = "errors/gb_duplicate_field"

    def __init__(self, field: str) -> None:
        super().__init__(field=field)


class BadPrice(DomainError):
    """A price that is not 0.01..100000 yuan with at most 2 decimals; values: `line`, `code`."""

    template = "errors/gb_bad_price"

    def __init__(self, line: str, code: str) -> None:
        super().__init__(line=line, code=code)


class BadLimit(DomainError):
    """A per-household max outside 1..999 or a stock outside 1..100000; values: `line`, `code`."""

    template = "errors/gb_bad_limit"

    def __init__(self, line: str, code: str) -> None:
        super().__init__(line=line, code=code)


class MissingField(DomainError):
    """A /groupbuy message without a title, a deadline or any item; values: `field`.

    `field` is one of "title", "deadline", "item".
    """

    template = "errors/gb_missing_field"

    def __init__(self, field: str) -> None:
        super().__init__(field=field)


class BadQuantity(DomainError):
    """A quantity out of range or missing; values: `text`, `kind` ("order" or "min").

    Orders take 0..999 per item (0 removes it); a group-buy's `min:` takes 1..100000 units.
    """

    template = "errors/gb_bad_quantity"

    def __init__(self, text: str, kind: str = "order") -> None:
        super().__init__(text=text, kind=kind)


class TooManyItems(DomainError):
    """More than 26 items in one group-buy; values: `count`."""

    template = "errors/gb_too_many_items"

    def __init__(self, count: int) -> None:
        super().__init__(count=count)


class PickupBeforeDeadline(DomainError):
    """The pickup time is earlier than the order deadline; values: `pickup_at`, `deadline`."""

    template = "errors/gb_pickup_before_deadline"

    def __init__(self, pickup_at: datetime, deadline: datetime) -> None:
        super().__init__(pickup_at=pickup_at, deadline=deadline)


def _code_list(codes: str | Sequence[str]) -> tuple[str, ...]:
    # Callers pass either a list of codes or one space-separated string of them.
    return tuple(codes.split()) if isinstance(codes, str) else tuple(codes)


class UnknownItem(DomainError):
    """An order names an item code the group-buy lacks; values: `code`, `codes` (the valid ones)."""

    template = "errors/gb_unknown_item"

    def __init__(self, code: str, codes: str | Sequence[str]) -> None:
        super().__init__(code=code, codes=_code_list(codes))


class AmbiguousPlus(DomainError):
    """`+2` on a group-buy with several items; values: `codes` (the item codes, at least two)."""

    template = "errors/gb_ambiguous_plus"

    def __init__(self, codes: str | Sequence[str]) -> None:
        super().__init__(codes=_code_list(codes))


class OrderSyntax(DomainError):
    """An order reply Linli cannot read; values: `text` (as typed), `example` (e.g. "A2 B1")."""

    template = "errors/gb_order_syntax"

    def __init__(self, text: str, example: str) -> None:
        super().__init__(text=text, example=example)


class GroupBuyFinished(DomainError):
    """The group-buy is closed, cancelled or done for what was asked; values: `title`."""

    template = "errors/groupbuy_finished"


class GroupBuyNotFound(DomainError):
    """No group-buy with that number (here); values: `ref`."""

    template = "errors/groupbuy_not_found"


class NoGroupBuyHere(DomainError):
    """The command needs a running group-buy and there is none."""

    template = "errors/groupbuy_none_here"


class WhichGroupBuy(DomainError):
    """Several group-buys fit; values: `choices` as (id, title) pairs."""

    template = "errors/groupbuy_which"


class OverLimit(DomainError):
    """More than the per-household maximum; values: `code`, `limit`."""

    template = "errors/groupbuy_over_limit"


class NoOrderForRoom(DomainError):
    """That room did not order in this group-buy; values: `room`."""

    template = "errors/groupbuy_no_order_for_room"


class NotArrivedYet(DomainError):
    """Pickup codes need a closed (and decided) group-buy; values: `title`."""

    template = "errors/groupbuy_not_arrived"


class UnknownPickupCode(DomainError):
    """No collectable order has that pickup code; values: `code`."""

    template = "errors/groupbuy_unknown_code"


class AlreadyPickedUp(DomainError):
    """The goods for that code were handed out already; values: `code`, `room`."""

    template = "errors/groupbuy_already_picked"


class TooManyGuesses(DomainError):
    """Too many wrong pickup codes lately; values: `minutes` (until the next try is allowed)."""

    template = "errors/groupbuy_too_many_tries"

    def __init__(self, minutes: int) -> None:
        super().__init__(minutes=minutes)


class NotGatekeeper(DomainError):
    """Only leaders and volunteers hand goods out."""

    template = "errors/groupbuy_not_gatekeeper"


class OtherBuilding(DomainError):
    """The household lives in another building than the group-buy's; values: `building`."""

    template = "errors/groupbuy_other_building"


class BindingPending(DomainError):
    """The group asked to join a building and waits for its leaders (or a coordinator)."""

    template = "errors/binding_pending"

    def __init__(self, building: str) -> None:
        super().__init__(building=building)


class NotCoordinator(DomainError):
    """Only a coordinator of the community may do that."""

    template = "errors/not_coordinator"


class RequestDecided(DomainError):
    """Someone already approved or rejected this request (or it was withdrawn)."""

    template = "errors/request_decided"


class MoveNeedsLeader(DomainError):
    """Moving a bound group to another building takes a leader of its current building."""

    template = "errors/move_needs_leader"

    def __init__(self, building: str) -> None:
        super().__init__(building=building)


class RegistrationPending(DomainError):
    """The person asked to join a household whose members have not approved yet."""

    template = "errors/registration_pending"


class NotHouseholdMember(DomainError):
    """Only the household's members (or the building's leaders) may decide who joins it."""

    template = "errors/not_household_member"


class NotYourRoom(DomainError):
    """A 接龙 line names another household's room; values: `room` (as read), `own` (theirs)."""

    template = "errors/groupbuy_not_your_room"

    def __init__(self, room: str, own: str) -> None:
        super().__init__(room=room, own=own)
