"""Domain exceptions: raised by models, turned into localised replies by handlers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. `template` names the message that explains it to the user."""

    template = "errors/generic"

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
