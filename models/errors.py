"""Domain exceptions: a rule said no, with the data that explains why.

They name no template, command or button: bot/refusals.py says how each one reads in a chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any


class DomainError(Exception):
    """A rule said no; `values` carry what the explanation needs."""

    def __init__(self, **values: Any) -> None:
        super().__init__(type(self).__name__, values)
        self.values = values


class NotALeader(DomainError):
    """Only a leader of this building may do that."""


class NotChatAdmin(DomainError):
    """Only the group's creator or an administrator may do that."""


class ChatNotBound(DomainError):
    """The group is not bound to a building yet."""


class NotRegistered(DomainError):
    """The person has no household yet; values: `building_id` (where to register, if known)."""

    def __init__(self, building_id: int | None = None) -> None:
        super().__init__(building_id=building_id)


class InvalidRoom(DomainError):
    """A room number in a form Linli cannot read; values: `text` (what was typed)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text)


class BadBuildingName(DomainError):
    """A building name that is empty or too long; values: `text` (as given, clipped)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text[:80])


class MissingRoom(DomainError):
    """Registering in a group without saying which room."""


class UnknownLanguage(DomainError):
    """A language Linli does not speak; values: `code` (as given, clipped)."""

    def __init__(self, code: str = "") -> None:
        super().__init__(code=code[:20])


class UnknownSkill(DomainError):
    """A volunteer skill Linli does not know; values: `skills` (the unknown ones)."""

    def __init__(self, skills: Sequence[str]) -> None:
        super().__init__(skills=tuple(skills))


class NoSuchBuilding(DomainError):
    """The building asked for (or the group's binding to move) does not exist."""


class NoSuchBindRequest(DomainError):
    """The request to bind a group to a building does not exist."""


class NoSuchApplication(DomainError):
    """The person asking to join a household, or the household, does not exist."""


class LeaderTargetInvalid(DomainError):
    """The person to appoint cannot be a leader (a bot, or not in this group)."""


class NotALeaderTarget(DomainError):
    """The person named is not a leader of this building."""


class NotAVolunteer(DomainError):
    """Only volunteers can rest, come back or leave the pool."""


class NoSkillsChosen(DomainError):
    """Joining the volunteer pool needs at least one skill."""


class ForeignContact(DomainError):
    """Someone shared a contact that is not their own phone number."""


class TaskTaken(DomainError):
    """Someone else claimed the task first (or it is closed)."""


class TaskClosed(DomainError):
    """The task is already done or cancelled."""


class BadTime(DomainError):
    """A time Linli cannot read; values: `text` (what was typed)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text)


class DeadlineInPast(DomainError):
    """A time that is not later than now; values: `text` (as typed), `when` (aware datetime)."""

    def __init__(self, text: str, when: datetime) -> None:
        super().__init__(text=text, when=when)


class GroupBuySyntax(DomainError):
    """A /groupbuy line of no known form; values: `line`, `expected` (the form it should take).

    `expected` is one of "item", "deadline", "pickup", "min", "title", "unknown".
    """

    def __init__(self, line: str, expected: str) -> None:
        super().__init__(line=line, expected=expected)


class DuplicateItemCode(DomainError):
    """The same item code twice (in a /groupbuy message or in one order); values: `code`."""

    def __init__(self, code: str) -> None:
        super().__init__(code=code)


class DuplicateField(DomainError):
    """A /groupbuy field given twice; values: `field` ("deadline", "pickup" or "min")."""

    def __init__(self, field: str) -> None:
        super().__init__(field=field)


class BadPrice(DomainError):
    """A price that is not 0.01..100000 yuan with at most 2 decimals; values: `line`, `code`."""

    def __init__(self, line: str, code: str) -> None:
        super().__init__(line=line, code=code)


class BadLimit(DomainError):
    """A per-household max outside 1..999 or a stock outside 1..100000; values: `line`, `code`."""

    def __init__(self, line: str, code: str) -> None:
        super().__init__(line=line, code=code)


class MissingField(DomainError):
    """A /groupbuy message without a title, a deadline or any item; values: `field`.

    `field` is one of "title", "deadline", "item".
    """

    def __init__(self, field: str) -> None:
        super().__init__(field=field)


class BadQuantity(DomainError):
    """A quantity out of range or missing; values: `text`, `kind` ("order" or "min").

    Orders take 0..999 per item (0 removes it); a group-buy's `min:` takes 1..100000 units.
    """

    def __init__(self, text: str, kind: str = "order") -> None:
        super().__init__(text=text, kind=kind)


class TooManyItems(DomainError):
    """More than 26 items in one group-buy; values: `count`."""

    def __init__(self, count: int) -> None:
        super().__init__(count=count)


class PickupBeforeDeadline(DomainError):
    """The pickup time is earlier than the order deadline; values: `pickup_at`, `deadline`."""

    def __init__(self, pickup_at: datetime, deadline: datetime) -> None:
        super().__init__(pickup_at=pickup_at, deadline=deadline)


def _code_list(codes: str | Sequence[str]) -> tuple[str, ...]:
    # Callers pass either a list of codes or one space-separated string of them.
    return tuple(codes.split()) if isinstance(codes, str) else tuple(codes)


class UnknownItem(DomainError):
    """An order names an item code the group-buy lacks; values: `code`, `codes` (the valid ones)."""

    def __init__(self, code: str, codes: str | Sequence[str]) -> None:
        super().__init__(code=code, codes=_code_list(codes))


class AmbiguousPlus(DomainError):
    """`+2` on a group-buy with several items; values: `codes` (the item codes, at least two)."""

    def __init__(self, codes: str | Sequence[str]) -> None:
        super().__init__(codes=_code_list(codes))


class OrderSyntax(DomainError):
    """An order reply Linli cannot read; values: `text` (as typed), `example` (e.g. "A2 B1")."""

    def __init__(self, text: str, example: str) -> None:
        super().__init__(text=text, example=example)


class GroupBuyFinished(DomainError):
    """The group-buy is closed, cancelled or done for what was asked; values: `title`."""


class GroupBuyNotFound(DomainError):
    """No group-buy with that number (here); values: `ref`."""


class NoGroupBuyHere(DomainError):
    """The action needs a running group-buy and there is none."""


class WhichGroupBuy(DomainError):
    """Several group-buys fit; values: `choices` as (id, title) pairs."""


class OverLimit(DomainError):
    """More than the per-household maximum; values: `code`, `limit`."""


class NoOrderForRoom(DomainError):
    """That room did not order in this group-buy; values: `room`."""


class NotArrivedYet(DomainError):
    """Pickup codes need a closed (and decided) group-buy; values: `title`."""


class UnknownPickupCode(DomainError):
    """No collectable order has that pickup code; values: `code`."""


class AlreadyPickedUp(DomainError):
    """The goods for that code were handed out already; values: `code`, `room`."""


class TooManyGuesses(DomainError):
    """Too many wrong pickup codes lately; values: `minutes` (until the next try is allowed)."""

    def __init__(self, minutes: int) -> None:
        super().__init__(minutes=minutes)


class NotGatekeeper(DomainError):
    """Only leaders and volunteers hand goods out."""


class OtherBuilding(DomainError):
    """The household lives in another building than the group-buy's; values: `building`."""


class BindingPending(DomainError):
    """The group asked to join a building and waits for its leaders (or a coordinator)."""

    def __init__(self, building: str) -> None:
        super().__init__(building=building)


class NotCoordinator(DomainError):
    """Only a coordinator of the community may do that."""


class RequestDecided(DomainError):
    """Someone already approved or rejected this request (or it was withdrawn)."""


class MoveNeedsLeader(DomainError):
    """Moving a bound group to another building takes a leader of its current building."""

    def __init__(self, building: str) -> None:
        super().__init__(building=building)


class RegistrationPending(DomainError):
    """The person asked to join a household whose members have not approved yet."""


class NotHouseholdMember(DomainError):
    """Only the household's members (or the building's leaders) may decide who joins it."""


class NotYourRoom(DomainError):
    """A 接龙 line names another household's room; values: `room` (as read), `own` (theirs)."""

    def __init__(self, room: str, own: str) -> None:
        super().__init__(room=room, own=own)


# -- help requests -----------------------------------------------------------------------------


class BadHelpRef(DomainError):
    """A help request reference Linli cannot read; values: `text` (as typed, clipped)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text[:20])


class NoSuchHelpRequest(DomainError):
    """No help request has this number (or the asker may not see it); values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class EmptyDescription(DomainError):
    """A help request needs a few words about what is needed."""


class DescriptionTooLong(DomainError):
    """A description over the limit; values: `length`, `limit` (characters)."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(length=length, limit=limit)


class TooManyPhotos(DomainError):
    """More photos than a request keeps; values: `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit)


class OwnRequest(DomainError):
    """A volunteer cannot take their own household's request; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class ClaimNeedsPrivateChat(DomainError):
    """Taking a request needs a private chat for its details; values: `ref`, `request_id`."""

    def __init__(self, ref: str, request_id: int) -> None:
        super().__init__(ref=ref, request_id=request_id)


class NotYourTask(DomainError):
    """Only the volunteer who took the request may do that; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class NotYourRequest(DomainError):
    """Only the household that asked may cancel or rate a request; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class BadMinutes(DomainError):
    """Minutes served must be a whole number from 1 to `limit`; values: `text`, `limit`."""

    def __init__(self, text: str, limit: int) -> None:
        super().__init__(text=text[:20], limit=limit)


class NotDoneYet(DomainError):
    """A request can be rated once its volunteer marked it done; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class RequestFinished(DomainError):
    """The request is already done or cancelled; values: `ref`, `status`."""

    def __init__(self, ref: str, status: str) -> None:
        super().__init__(ref=ref, status=status)


# -- care --------------------------------------------------------------------------------------


class CareSyntax(DomainError):
    """A `/care add` line missing a part; values: `part` ("room", "name" or "needs"), `text`."""

    def __init__(self, part: str, text: str = "") -> None:
        super().__init__(part=part, text=text[:30])


class UnknownNeed(DomainError):
    """A need Linli does not know; values: `text` (as typed, clipped)."""

    def __init__(self, text: str) -> None:
        super().__init__(text=text[:30])


class CareTextTooLong(DomainError):
    """A name or notes over the limit; values: `field` ("name" or "notes"), `length`, `limit`."""

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(field=field, length=length, limit=limit)


class BadCareRef(DomainError):
    """A vulnerable resident's reference Linli cannot read; values: `text` (clipped)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text[:20])


class NoSuchCareResident(DomainError):
    """No vulnerable resident by that reference that the asker may see; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class CareAlreadyListed(DomainError):
    """The same name in the same room is already listed; values: `ref` (the existing one)."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class CareNotPaired(DomainError):
    """Unpairing a resident who has no volunteer; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class CareNeedsVolunteer(DomainError):
    """The person to pair is not in the volunteer pool (or is not a person at all)."""


class CareWhichBuilding(DomainError):
    """Several (or no such) buildings fit; values: `choices` (names), `given` (as typed)."""

    def __init__(self, choices: Sequence[str], given: str = "") -> None:
        super().__init__(choices=tuple(choices), given=given[:40])


# -- shifts ------------------------------------------------------------------------------------


class ShiftSyntax(DomainError):
    """A /shift or /call line missing or garbling a part; values: `expected`, `text`, `command`.

    `expected` is one of "parts", "post", "time", "until", "people", "skill"; `command` is
    "shift" or "call" (their examples differ).
    """

    def __init__(self, expected: str, text: str = "", command: str = "shift") -> None:
        super().__init__(expected=expected, text=text[:60], command=command)


class BadTimeRange(DomainError):
    """A shift's `HH:MM-HH:MM` that is no clock time, or ends when it starts; values: `text`."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text[:60])


class ShiftInPast(DomainError):
    """A shift that would start at or before now; values: `when` (aware), `text` (as typed)."""

    def __init__(self, when: datetime, text: str = "") -> None:
        super().__init__(when=when, text=text[:60])


class BadPeople(DomainError):
    """A head count outside 1..`limit`; values: `text` (as typed, clipped), `limit`."""

    def __init__(self, text: str = "", limit: int = 200) -> None:
        super().__init__(text=text[:20], limit=limit)


class UnknownShiftSkill(DomainError):
    """A skill a shift asks for that Linli does not know; values: `text` (as typed, clipped)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text[:30])


class TooManyOccurrences(DomainError):
    """A recurring shift over the limit; values: `count` (asked for), `limit` (occurrences)."""

    def __init__(self, count: int = 0, limit: int = 31) -> None:
        super().__init__(count=count, limit=limit)


# -- shift slots -------------------------------------------------------------------------------


class NoSuchShift(DomainError):
    """No shift has this number; values: `ref` (S-12)."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class ShiftFull(DomainError):
    """Every slot of the shift is taken; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class AlreadyOnShift(DomainError):
    """The volunteer already has a slot on this shift; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class NotOnShift(DomainError):
    """The volunteer has no slot on this shift; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class ShiftStarted(DomainError):
    """Too late: the shift has started, ended or was cancelled; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class ShiftRuleBroken(DomainError):
    """Taking the slot would break a rest rule; values: `ref`, `violation` (rest_rules)."""

    def __init__(self, ref: str, violation: object) -> None:
        super().__init__(ref=ref, violation=violation)


# -- the task board ----------------------------------------------------------------------------


class UnknownTaskFilter(DomainError):
    """A /tasks filter Linli does not know; values: `text`, `choices`."""

    def __init__(self, text: str, choices: tuple[str, ...] = ()) -> None:
        super().__init__(text=text, choices=choices)


# -- rollcalls ---------------------------------------------------------------------------------


class RollcallSyntax(DomainError):
    """An unreadable /rollcall line; values: `expected` (parts, title, when, window), `text`."""

    def __init__(self, expected: str, text: str = "") -> None:
        super().__init__(expected=expected, text=text)


class RollcallWindow(DomainError):
    """A window that cannot be: `reason` end_before_start, too_long, empty or clock; `text`."""

    def __init__(self, text: str = "", reason: str = "end_before_start") -> None:
        super().__init__(text=text, reason=reason)


class RollcallInPast(DomainError):
    """A one-off rollcall whose window has already ended; values: `text`."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text)


class UnknownAudience(DomainError):
    """Not households, volunteers or care; values: `text` (as typed, clipped)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text=text)


class NoSuchRollcall(DomainError):
    """No rollcall of this building has this number; values: `ref` (R-3)."""


# -- calls -------------------------------------------------------------------------------------


class NotInvited(DomainError):
    """An urgent call's [I'm coming] from someone it was not sent to; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class RollcallClosed(DomainError):
    """The rollcall's window has closed; values: `closed_at` (when it closed)."""

    def __init__(self, closed_at: datetime) -> None:
        super().__init__(closed_at=closed_at)


class NotInRollcall(DomainError):
    """The person is not among those this rollcall asks (another building, not a volunteer)."""


# -- rosters -----------------------------------------------------------------------------------


class NotInVolunteerPool(DomainError):
    """A leader's /assign names someone outside the volunteer pool; values: `name` (or "")."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name=name[:64])


class RosterWhichBuilding(DomainError):
    """A roster asked for in private by someone with no building of their own to read."""

    def __init__(self) -> None:
        super().__init__()


class SwapClosed(DomainError):
    """The slot offered for a swap was taken, withdrawn or has started; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


class OwnSwap(DomainError):
    """A volunteer tapped their own swap offer; values: `ref`."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref=ref)


# -- service records: points, certificates ---------------------------------------------------


class BadPoints(DomainError):
    """Points that are not a positive multiple of 0.5 up to `limit`; values: `text`, `limit`."""

    def __init__(self, text: str, limit: int) -> None:
        super().__init__(text=text, limit=limit)


class NotEnoughPoints(DomainError):
    """A redemption above the volunteer's balance; values: `name`, `asked`, `balance` (halves)."""

    def __init__(self, name: str, asked: int, balance: int) -> None:
        super().__init__(name=name[:64], asked=asked, balance=balance)


class OwnRedemption(DomainError):
    """A leader redeeming their own points: another leader records it."""


class NoSuchRedemption(DomainError):
    """A redemption link that names no redemption of the person who opened it."""


class BadPeriod(DomainError):
    """A certificate period Linli cannot read (or that ends before it starts); values: `text`."""

    def __init__(self, text: str) -> None:
        super().__init__(text=text[:40])


class NoServiceInPeriod(DomainError):
    """No service recorded in the period asked for; values: `start`, `end` (dates or None)."""

    def __init__(self, start: date | None, end: date | None) -> None:
        super().__init__(start=start, end=end)


class NoSuchCertificate(DomainError):
    """No certificate has this verification code; values: `code` (as given, clipped)."""

    def __init__(self, code: str) -> None:
        super().__init__(code=code[:20])
