"""How a refusal reads in a chat: one table from each domain error to its template and link.

A contract module: it imports models/ only. Models raise domain errors with data; handlers raise
the chat-level refusals defined here (a missing argument, malformed button data); the dispatcher
turns either into the localised answer through `refusal()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models import errors as e

GENERIC = "errors/generic"


@dataclass(frozen=True, slots=True)
class Refusal:
    """The template that explains a refusal, its values and, for a refused tap, a link's payload."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)
    # The /start payload of a private-chat link that fixes a refused button tap.
    link: str | None = None


class ChatRefusal(Exception):
    """A refusal about the chat itself (input or buttons), not a domain rule."""

    def __init__(self, template: str, *, link: str | None = None, **values: Any) -> None:
        super().__init__(template, values)
        self.refusal = Refusal(template, values, link)


class Usage(ChatRefusal):
    """A command's argument is missing or malformed: its usage line is shown."""

    def __init__(self, command: str) -> None:
        super().__init__("errors/usage", command=command)


class StaleButton(ChatRefusal):
    """A button whose data is unknown, forged or belongs to a finished step."""

    def __init__(self) -> None:
        super().__init__("errors/stale_button")


Reading = Callable[[e.DomainError], Refusal]


def _as(template: str) -> Reading:
    """The error's own values fill the template."""
    return lambda error: Refusal(template, error.values)


def _usage(command: str) -> Reading:
    """Input that does not fit the command: show the command's usage line."""
    return lambda error: Refusal("errors/usage", {"command": command})


def _stale(error: e.DomainError) -> Refusal:
    # What these errors name can only come from a button's data (forged, or of a finished step).
    return Refusal("errors/stale_button")


def _not_registered(error: e.DomainError) -> Refusal:
    building_id = error.values.get("building_id")
    payload = f"b{building_id}" if building_id else ""
    return Refusal("errors/not_registered", {"payload": payload}, link=payload)


def _claim_link(error: e.DomainError) -> Refusal:
    # Opening the link starts the private chat and takes the request there, checked again.
    payload = f"hc{error.values.get('request_id', '')}"
    return Refusal("errors/help_claim_private", {**error.values, "payload": payload}, payload)


READINGS: dict[type[e.DomainError], Reading] = {
    # people, households, authority
    e.NotALeader: _as("errors/not_leader"),
    e.NotChatAdmin: _as("errors/not_chat_admin"),
    e.ChatNotBound: _as("errors/chat_not_bound"),
    e.NotRegistered: _not_registered,
    e.InvalidRoom: _as("errors/invalid_room"),
    e.BadBuildingName: _usage("bind"),
    e.MissingRoom: _usage("register"),
    e.UnknownLanguage: _usage("lang"),
    e.UnknownSkill: _stale,
    e.NoSuchBuilding: _stale,
    e.NoSuchBindRequest: _stale,
    e.NoSuchApplication: _stale,
    e.LeaderTargetInvalid: _as("errors/leader_target"),
    e.NotALeaderTarget: _as("errors/not_a_leader_target"),
    e.NotAVolunteer: _as("errors/not_a_volunteer"),
    e.NoSkillsChosen: _as("errors/no_skills"),
    e.ForeignContact: _as("errors/foreign_contact"),
    e.BindingPending: _as("errors/binding_pending"),
    e.NotCoordinator: _as("errors/not_coordinator"),
    e.RequestDecided: _as("errors/request_decided"),
    e.MoveNeedsLeader: _as("errors/move_needs_leader"),
    e.RegistrationPending: _as("errors/registration_pending"),
    e.NotHouseholdMember: _as("errors/not_household_member"),
    # tasks
    e.TaskTaken: _as("errors/task_taken"),
    e.TaskClosed: _as("errors/task_closed"),
    # help requests
    e.BadHelpRef: _as("errors/help_bad_ref"),
    e.NoSuchHelpRequest: _as("errors/help_not_found"),
    e.EmptyDescription: _as("errors/help_empty"),
    e.DescriptionTooLong: _as("errors/help_too_long"),
    e.TooManyPhotos: _as("errors/help_too_many_photos"),
    e.OwnRequest: _as("errors/help_own"),
    e.ClaimNeedsPrivateChat: _claim_link,
    e.NotYourTask: _as("errors/help_not_yours"),
    e.NotYourRequest: _as("errors/help_not_your_request"),
    e.BadMinutes: _as("errors/help_bad_minutes"),
    e.NotDoneYet: _as("errors/help_not_done"),
    e.RequestFinished: _as("errors/help_finished"),
    # care
    e.CareSyntax: _as("errors/care_add_syntax"),
    e.UnknownNeed: _as("errors/care_unknown_need"),
    e.CareTextTooLong: _as("errors/care_too_long"),
    e.BadCareRef: _as("errors/care_bad_ref"),
    e.NoSuchCareResident: _as("errors/care_not_found"),
    e.CareAlreadyListed: _as("errors/care_already_listed"),
    e.CareNotPaired: _as("errors/care_not_paired"),
    e.CareNeedsVolunteer: _as("errors/care_not_volunteer"),
    e.CareWhichBuilding: _as("errors/care_which_building"),
    # shift slots
    e.NoSuchShift: _as("errors/shift_not_found"),
    e.ShiftFull: _as("errors/shift_full"),
    e.AlreadyOnShift: _as("errors/shift_already_on"),
    e.NotOnShift: _as("errors/shift_not_on"),
    e.ShiftStarted: _as("errors/shift_started"),
    e.ShiftRuleBroken: _as("errors/shift_rule"),
    # the task board
    e.UnknownTaskFilter: _as("errors/task_filter"),
    # times
    e.BadTime: _as("errors/when_bad_time"),
    e.DeadlineInPast: _as("errors/when_in_past"),
    # a group-buy's announcement and orders
    e.GroupBuySyntax: _as("errors/gb_syntax"),
    e.DuplicateItemCode: _as("errors/gb_duplicate_code"),
    e.DuplicateField: _as("errors/gb_duplicate_field"),
    e.BadPrice: _as("errors/gb_bad_price"),
    e.BadLimit: _as("errors/gb_bad_limit"),
    e.MissingField: _as("errors/gb_missing_field"),
    e.BadQuantity: _as("errors/gb_bad_quantity"),
    e.TooManyItems: _as("errors/gb_too_many_items"),
    e.PickupBeforeDeadline: _as("errors/gb_pickup_before_deadline"),
    e.UnknownItem: _as("errors/gb_unknown_item"),
    e.AmbiguousPlus: _as("errors/gb_ambiguous_plus"),
    e.OrderSyntax: _as("errors/gb_order_syntax"),
    e.NotYourRoom: _as("errors/groupbuy_not_your_room"),
    # a group-buy's life and pickup
    e.GroupBuyFinished: _as("errors/groupbuy_finished"),
    e.GroupBuyNotFound: _as("errors/groupbuy_not_found"),
    e.NoGroupBuyHere: _as("errors/groupbuy_none_here"),
    e.WhichGroupBuy: _as("errors/groupbuy_which"),
    e.OverLimit: _as("errors/groupbuy_over_limit"),
    e.NoOrderForRoom: _as("errors/groupbuy_no_order_for_room"),
    e.NotArrivedYet: _as("errors/groupbuy_not_arrived"),
    e.UnknownPickupCode: _as("errors/groupbuy_unknown_code"),
    e.AlreadyPickedUp: _as("errors/groupbuy_already_picked"),
    e.TooManyGuesses: _as("errors/groupbuy_too_many_tries"),
    e.NotGatekeeper: _as("errors/groupbuy_not_gatekeeper"),
    e.OtherBuilding: _as("errors/groupbuy_other_building"),
    # shifts
    e.ShiftSyntax: _as("errors/shift_syntax"),
    e.BadTimeRange: _as("errors/shift_bad_range"),
    e.ShiftInPast: _as("errors/shift_in_past"),
    e.BadPeople: _as("errors/shift_bad_people"),
    e.UnknownShiftSkill: _as("errors/shift_unknown_skill"),
    e.TooManyOccurrences: _as("errors/shift_too_many"),
    # rollcalls
    e.RollcallSyntax: _as("errors/rollcall_syntax"),
    e.RollcallWindow: _as("errors/rollcall_window"),
    e.RollcallInPast: _as("errors/rollcall_in_past"),
    e.UnknownAudience: _as("errors/rollcall_unknown_audience"),
    e.NoSuchRollcall: _as("errors/rollcall_not_found"),
    e.RollcallClosed: _as("errors/rollcall_closed"),
    e.NotInRollcall: _as("errors/rollcall_not_in"),
    # rosters
    e.NotInVolunteerPool: _as("errors/not_in_pool"),
    e.RosterWhichBuilding: _as("errors/roster_which_building"),
    # calls
    e.NotInvited: _as("errors/call_not_invited"),
    e.SwapClosed: _as("errors/swap_closed"),
    e.OwnSwap: _as("errors/swap_own"),
    # points and certificates
    e.BadPoints: _as("errors/bad_points"),
    e.NotEnoughPoints: _as("errors/not_enough_points"),
    e.OwnRedemption: _as("errors/own_redemption"),
    e.NoSuchRedemption: _as("errors/no_such_redemption"),
    e.BadPeriod: _as("errors/bad_period"),
    e.NoServiceInPeriod: _as("errors/no_service_in_period"),
    e.NoSuchCertificate: _as("errors/certificate_not_found"),
}


def refusal(error: e.DomainError | ChatRefusal) -> Refusal:
    """How the refusal reads: its template, values and link."""
    if isinstance(error, ChatRefusal):
        return error.refusal
    for cls in type(error).__mro__:
        reading = READINGS.get(cls)
        if reading is not None:
            return reading(error)
    return Refusal(GENERIC)


def restated(error: e.DomainError, **values: Any) -> ChatRefusal:
    """The domain error's refusal with values only the chat knows (e.g. whether it is private)."""
    base = refusal(error)
    return ChatRefusal(base.template, link=base.link, **{**base.values, **values})
