"""Transport-free values: what a handler receives, what it emits, and its context."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.callbacks import ButtonData
    from bot.clock import Clock
    from bot.i18n import Texts
    from bot.routing import CommandRoute
    from bot.settings import Settings
    from bot.transport import ChatQueries
    from models.people import Person

ChatType = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat as the core sees it."""

    id: int
    type: ChatType
    title: str | None = None

    @property
    def is_group(self) -> bool:
        """True for groups and supergroups."""
        return self.type in ("group", "supergroup")

    @property
    def is_private(self) -> bool:
        """True for a one-to-one chat with the bot."""
        return self.type == "private"


@dataclass(frozen=True, slots=True)
class Sender:
    """The person (never a channel) who caused an update."""

    id: int
    name: str
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class ReplyTo:
    """The message an incoming message replies to."""

    message_id: int
    sender_id: int | None
    from_this_bot: bool
    text: str | None = None
    sender_name: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A phone number shared with Telegram's contact button."""

    phone_number: str
    user_id: int | None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One normalised update: a message, a command or a button tap."""

    update_id: int
    chat: Chat
    sender: Sender | None
    message_id: int | None = None
    text: str | None = None
    command: str | None = None
    args: str = ""
    callback_id: str | None = None
    callback_data: str | None = None
    reply_to: ReplyTo | None = None
    contact: Contact | None = None
    # The file_id of a photo's largest size; its caption, if any, is `text`.
    photo: str | None = None
    # The bot was just added to this group (by `sender`); no message comes with it.
    joined_group: bool = False


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: either callback data (≤64 bytes) or a URL."""

    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Keyboard:
    """An inline keyboard: rows of buttons under a message."""

    rows: tuple[tuple[Button, ...], ...]

    @property
    def is_empty(self) -> bool:
        """True when there is no button at all."""
        return not any(self.rows)

    @classmethod
    def of(cls, *rows: list[Button] | tuple[Button, ...]) -> Keyboard:
        """Build a keyboard from rows given as lists."""
        return cls(tuple(tuple(r) for r in rows if r))


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """A one-time reply keyboard with Telegram's "share my phone number" button."""

    button_text: str
    skip_text: str


@dataclass(frozen=True, slots=True)
class RemoveKeyboard:
    """Removes a reply keyboard shown earlier."""


Markup = Keyboard | ContactRequest | RemoveKeyboard | None

OutgoingKind = Literal["send", "live", "answer", "file", "photo"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One action for delivery; stored in the outbox in the handler's transaction."""

    kind: OutgoingKind
    chat_id: int | None = None
    text: str | None = None
    markup: Markup = None
    reply_to_message_id: int | None = None
    live_key: str | None = None
    callback_id: str | None = None
    alert: bool = False
    filename: str | None = None
    data: bytes | None = None
    view: bool = False
    url: str | None = None
    # A photo already on Telegram's servers, sent again by its file_id; a "photo" without one
    # is a picture we drew, uploaded from `data` under `filename`.
    photo: str | None = None

    def __post_init__(self) -> None:
        # Telegram rejects an inline keyboard without buttons (400), which would cost the whole
        # message; "nothing to tap" (everyone paid, no orders) simply means no keyboard, and a
        # live edit without one removes the buttons of the card.
        if isinstance(self.markup, Keyboard) and self.markup.is_empty:
            object.__setattr__(self, "markup", None)

    def payload(self) -> dict[str, Any]:
        """The JSON-serialisable form stored in the outbox."""
        out: dict[str, Any] = {"text": self.text}
        if self.markup is not None:
            out["markup"] = markup_to_dict(self.markup)
        if self.reply_to_message_id is not None:
            out["reply_to"] = self.reply_to_message_id
        if self.callback_id is not None:
            out["callback_id"] = self.callback_id
            out["alert"] = self.alert
        if self.filename is not None:
            out["filename"] = self.filename
        if self.view:
            out["view"] = True
        if self.photo is not None:
            out["photo"] = self.photo
        return out


def markup_to_dict(markup: Markup) -> dict[str, Any] | None:
    """Serialise markup for the outbox."""
    match markup:
        case None:
            return None
        case Keyboard(rows):
            return {
                "inline": [
                    [{"text": b.text, "data": b.data, "url": b.url} for b in row] for row in rows
                ]
            }
        case ContactRequest(button_text, skip_text):
            return {"contact": button_text, "skip": skip_text}
        case RemoveKeyboard():
            return {"remove": True}
    raise TypeError(f"unknown markup {markup!r}")


def markup_from_dict(raw: dict[str, Any] | None) -> Markup:
    """Rebuild markup read back from the outbox."""
    if not raw:
        return None
    if "inline" in raw:
        if not any(raw["inline"]):
            return None  # rows queued before empty keyboards were dropped at the source
        return Keyboard(
            tuple(
                tuple(Button(b["text"], b.get("data"), b.get("url")) for b in row)
                for row in raw["inline"]
            )
        )
    if "contact" in raw:
        return ContactRequest(raw["contact"], raw["skip"])
    return RemoveKeyboard()


@dataclass(slots=True, kw_only=True)
class Emitter:
    """One unit of work plus ways to render and emit messages (handlers and scheduled jobs)."""

    session: AsyncSession
    lang: str
    clock: Clock
    settings: Settings
    texts: Texts
    api: ChatQueries
    outgoing: list[Outgoing] = field(default_factory=list)

    # -- rendering -----------------------------------------------------------------------
    def t(self, template: str, /, *, lang: str | None = None, **values: Any) -> str:
        """Render a message template in the given (default: the sender's) language."""
        return self.texts.render(lang or self.lang, template, deep_link=self.deep_link, **values)

    def label(self, name: str, *args: Any, lang: str | None = None) -> str:
        """Render a short label (button text, item names) from the language's labels.j2."""
        return self.texts.label(lang or self.lang, name, *args)

    def deep_link(self, payload: str) -> str:
        """A t.me link that opens a private chat with the bot and sends /start <payload>."""
        return f"https://t.me/{self.api.bot_username}?start={payload}"

    # -- emitting ------------------------------------------------------------------------

    def send(
        self,
        chat_id: int,
        template: str,
        *,
        lang: str | None = None,
        markup: Markup = None,
        **values: Any,
    ) -> None:
        """Send a new message to any chat (a person's private chat takes their language)."""
        self.outgoing.append(
            Outgoing(
                "send", chat_id=chat_id, text=self.t(template, lang=lang, **values), markup=markup
            )
        )

    def live(
        self,
        key: str,
        chat_id: int,
        template: str,
        *,
        lang: str | None = None,
        markup: Markup = None,
        **values: Any,
    ) -> None:
        """Post or update the live message `key` (e.g. ``groupbuy:42``); newest content wins."""
        self.outgoing.append(
            Outgoing(
                "live",
                chat_id=chat_id,
                text=self.t(template, lang=lang, **values),
                markup=markup,
                live_key=key,
            )
        )

    def refresh(self, key: str, chat_id: int) -> None:
        """Mark live message `key` stale; delivery renders its view just before sending.

        Under a burst of sign-ups this renders the card once per edit actually sent, not once
        per sign-up.
        """
        self.outgoing.append(Outgoing("live", chat_id=chat_id, live_key=key, view=True))

    def send_file(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        lang: str | None = None,
        **values: Any,
    ) -> None:
        """Send a document (CSV, XLSX) with an optional caption template."""
        self._upload("file", chat_id, filename, data, caption, lang, values)

    def send_picture(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        lang: str | None = None,
        **values: Any,
    ) -> None:
        """Upload a picture we drew (a chart's PNG) as a photo, with an optional caption."""
        self._upload("photo", chat_id, filename, data, caption, lang, values)

    def _upload(
        self,
        kind: str,
        chat_id: int,
        filename: str,
        data: bytes,
        caption: str | None,
        lang: str | None,
        values: dict[str, Any],
    ) -> None:
        self.outgoing.append(
            Outgoing(
                kind,
                chat_id=chat_id,
                text=self.t(caption, lang=lang, **values) if caption else None,
                filename=filename,
                data=data,
            )
        )

    def send_photo(
        self,
        chat_id: int,
        file_id: str,
        caption_template: str | None = None,
        *,
        lang: str | None = None,
        markup: Markup = None,
        **values: Any,
    ) -> None:
        """Send a photo Telegram already has (by file_id), with an optional caption template."""
        self.outgoing.append(
            Outgoing(
                "photo",
                chat_id=chat_id,
                text=self.t(caption_template, lang=lang, **values) if caption_template else None,
                markup=markup,
                photo=file_id,
            )
        )


@dataclass(slots=True, kw_only=True)
class Ctx(Emitter):
    """Everything a handler may use: the update, its sender, and ways to answer them."""

    incoming: Incoming
    person: Person | None = None
    commands: Mapping[str, CommandRoute] = field(default_factory=dict)
    # The tapped button, parsed by the dispatcher when its kind is declared (bot.callbacks).
    button: ButtonData | None = None
    # Group roles (getChatMember) asked before the transaction, for routes that declared it.
    member_statuses: Mapping[int, str] | None = None
    # The live message (e.g. "groupbuy:42") that a routed reply answers.
    live_key: str | None = None

    # -- answering the update --------------------------------------------------------------
    def reply(self, template: str, *, markup: Markup = None, **values: Any) -> None:
        """Answer in the chat the update came from, as a reply to the triggering message."""
        self.outgoing.append(
            Outgoing(
                "send",
                chat_id=self.incoming.chat.id,
                text=self.t(template, **values),
                markup=markup,
                reply_to_message_id=(
                    self.incoming.message_id if self.incoming.chat.is_group else None
                ),
            )
        )

    def answer(
        self,
        template: str | None = None,
        *,
        alert: bool = False,
        link: str | None = None,
        **values: Any,
    ) -> None:
        """Answer the button tap being handled (a small toast, or an alert box)."""
        if self.incoming.callback_id is None:
            return
        self.outgoing.append(
            Outgoing(
                "answer",
                callback_id=self.incoming.callback_id,
                text=(
                    self.texts.plain(self.lang, template, deep_link=self.deep_link, **values)
                    if template
                    else None
                ),
                alert=alert,
                url=self.deep_link(link) if link is not None else None,
            )
        )
