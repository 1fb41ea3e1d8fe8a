"""Recognition: points redeemed with a leader, the monthly thank-you, the stars explained.

`/redeem 3 蔬菜券`, sent by a building's leader as a reply to a volunteer's message, records a
redemption in the append-only ledger (never above the volunteer's balance); the volunteer is
told privately, or gets a start link. On the first days of each month every building's group
thanks the volunteers who served it the month before, by name and hours only; a volunteer can
leave themself out with the button under /me.
"""

from __future__ import annotations

from typing import Any

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import Usage
from bot.routing import Router
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.people import Person
from models.recognition import (
    BONUS_AT_TENTHS,
    PENALTY_BELOW_TENTHS,
    PRIOR_RATING,
    PRIOR_WEIGHT,
    STAR_HOURS,
)
from models.redemptions import Redemption, own_redemption, redeem_points
from models.standing import Standing
from models.thanks import Thanks, due_thanks, set_thanked

router = Router("recognition")

REDEMPTION_LINK = "rd"  # /start rd<redemption>: a volunteer Linli could not tell privately
# Telegram's limit is 4,096 characters after entity parsing; the HTML we measure is never
# shorter than that text, so fitting the HTML fits the message.
MAX_MESSAGE = 4096
THANKS_ROWS = 100  # names listed at most; the rest are counted


@button("sv", "thx")
class ThanksListing:
    """/me's button: name me in the monthly thank-you (`listed`) or leave me out."""

    listed: bool


def thanks_button(ctx: Ctx, standing: Standing) -> Keyboard:
    """The /me button that flips the person's monthly thank-you choice."""
    if standing.thanked:
        return Keyboard.of([Button(ctx.label("thanks_out"), ThanksListing(False).pack())])
    return Keyboard.of([Button(ctx.label("thanks_in"), ThanksListing(True).pack())])


@router.callback(ThanksListing)
async def on_thanks_listing(ctx: Ctx) -> None:
    """The volunteer's choice for the monthly thank-you in the group."""
    listed = tapped(ctx.button, ThanksListing).listed
    await set_thanked(ctx.session, await sender_person(ctx), listed, ctx.clock.now())
    ctx.reply("records/thanks_set", thanked=listed)
    ctx.answer()


def explain_stars(ctx: Ctx) -> None:
    """/help stars: the star rule, with the numbers the rule itself uses."""
    ctx.reply(
        "records/stars",
        star_hours=STAR_HOURS,
        prior=PRIOR_RATING,
        prior_weight=PRIOR_WEIGHT,
        bonus=BONUS_AT_TENTHS / 10,
        penalty=PENALTY_BELOW_TENTHS / 10,
    )


# -- /redeem ------------------------------------------------------------------------------------


@router.command("redeem", where="group", audience="leader", needs_bound=True)
async def redeem(ctx: Ctx) -> None:
    """/redeem <points> <note>, as a reply to the volunteer: record what they exchanged."""
    reply = ctx.incoming.reply_to
    parts = ctx.incoming.args.split(maxsplit=1)
    if reply is None or reply.from_this_bot or reply.sender_id is None or len(parts) != 2:
        raise Usage(command="redeem")
    leader = await sender_person(ctx)
    done = await redeem_points(
        ctx.session,
        chat_id=ctx.incoming.chat.id,
        leader=leader,
        volunteer_tg_id=reply.sender_id,
        volunteer_name=reply.sender_name,
        points_text=parts[0],
        note=parts[1],
        now=ctx.clock.now(),
    )
    volunteer, redemption = done.volunteer, done.redemption
    told = can_reach(volunteer)
    if told:
        _tell_volunteer(ctx, volunteer, leader.name, redemption, done.balance_half)
    ctx.reply(
        "records/redeemed",
        who=volunteer.name,
        half=redemption.half_points,
        told=told,
        link=ctx.deep_link(f"{REDEMPTION_LINK}{redemption.id}"),
    )


def _tell_volunteer(
    ctx: Ctx, volunteer: Person, leader: str, redemption: Redemption, balance_half: int
) -> None:
    ctx.send(
        volunteer.tg_user_id,
        "records/redeemed_volunteer",
        lang=volunteer.language or ctx.settings.default_language,
        leader=leader,
        half=redemption.half_points,
        note=redemption.note,
        at=redemption.at,
        balance=balance_half,
    )


@router.deep_link(REDEMPTION_LINK)
async def open_redemption(ctx: Ctx) -> None:
    """/start rd<id>: the volunteer reads a redemption recorded while Linli could not tell them."""
    redemption_id = int(ctx.incoming.args.strip()[len(REDEMPTION_LINK) :])
    person = await sender_person(ctx)
    redemption, balance = await own_redemption(ctx.session, person, redemption_id)
    leader = await ctx.session.get(Person, redemption.leader_id) if redemption.leader_id else None
    ctx.reply(
        "records/redeemed_volunteer",
        leader=leader.name if leader else "",
        half=redemption.half_points,
        note=redemption.note,
        at=redemption.at,
        balance=balance,
    )


# -- the monthly thank-you ----------------------------------------------------------------------


@router.job
async def monthly_thanks(ctx: Emitter) -> None:
    """On the first days of a month: each building's group thanks last month's volunteers."""
    for thanks in await due_thanks(ctx.session, ctx.clock.now(), ctx.settings.tz):
        lang = await group_language(
            ctx.session, thanks.chat_id, default=ctx.settings.default_language
        )
        values = _thanks_values(thanks)
        fit = _fitting(ctx, lang, thanks, values)
        ctx.send(thanks.chat_id, "records/thanks", lang=lang, **values, **fit)


def _thanks_values(thanks: Thanks) -> dict[str, Any]:
    return {
        "building": thanks.building,
        "month": thanks.month,
        "count": len(thanks.volunteers),
        "total": thanks.total_minutes,
    }


def _fitting(ctx: Emitter, lang: str, thanks: Thanks, values: dict[str, Any]) -> dict[str, Any]:
    """As many names as fit one message, the rest counted ("and 12 more")."""
    shown = min(len(thanks.volunteers), THANKS_ROWS)
    while True:
        fit = {"shown": thanks.volunteers[:shown], "more": len(thanks.volunteers) - shown}
        if shown <= 1 or len(ctx.t("records/thanks", lang=lang, **values, **fit)) <= MAX_MESSAGE:
            return fit
        shown = shown * 3 // 4
