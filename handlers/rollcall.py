"""Rollcalls (点名 · 报平安) in a building's group: scheduled by leaders, answered with one tap.

`/rollcall daily 08:00-10:00 | 每日报平安` schedules one; at its time Linli posts a live card
(title, window, answered X / Y) with [✅ 平安] [🆘 需要帮助] (or [在岗] [不可用] for volunteers).
Answers are confirmed with a toast; the card is edited at most once per gap. A care rollcall
asks each paired volunteer privately about their residents. At 80 % of the window the silent
are reminded privately; at close the leaders get the report (rooms only there, never in the
group), and households silent twice in a row become follow-up tasks for the volunteers.
"""

from __future__ import annotations

from bot.callbacks import button, tapped
from bot.context import Button, Ctx, Emitter, Keyboard
from bot.refusals import Usage
from bot.routing import Router
from handlers.help_requests import announce
from handlers.identity import can_reach, sender_person
from models.chat_language import group_language
from models.people import Person, bound_building, leaders_of
from models.rollcall_answers import (
    Report,
    answer_care,
    answer_rollcall,
    care_rounds,
    claim_followup,
    followup_volunteers,
    rollcall_steps,
    silent_people,
    tally,
)
from models.rollcall_spec import Audience, parse_rollcall
from models.rollcalls import (
    Due,
    RunStatus,
    change_rollcall,
    load_run,
    parse_rollcall_ref,
    rollcalls_of,
    schedule_rollcall,
)

router = Router("rollcall")

# 300 households tapping within a minute make one edit per gap: three a minute, well inside the
# group's 20-a-minute budget that group-buy cards and announcements share.
CARD_GAP_SECONDS = 20.0
ACTIONS = ("pause", "resume", "stop")


@button("rc", "a")
class Answer:
    """[✅ 平安] [🆘 需要帮助] or [在岗] [不可用] on a rollcall card."""

    run: int
    answer: str


@button("rc", "c")
class CareCheck:
    """[已联系，平安] [需要帮助] [联系不上] for one resident, in their volunteer's private chat."""

    run: int
    care: int
    answer: str


@button("rc", "f")
class TakeFollowup:
    """[我去看看] on a follow-up (a household silent two rollcalls in a row)."""

    task: int


def card_key(run_id: int) -> str:
    """The live key of a run's card."""
    return f"rollcall:{run_id}"


def _lang(ctx: Emitter, person: Person) -> str:
    return person.language or ctx.settings.default_language


@router.live_view("rollcall", min_gap=CARD_GAP_SECONDS)
async def card_view(ctx: Emitter, key: str) -> None:
    """Render `rollcall:<run>`: title, window, answered X / Y; the buttons while it is open."""
    run, rollcall = await load_run(ctx.session, int(key.partition(":")[2]))
    lang = await group_language(
        ctx.session, rollcall.chat_id, default=ctx.settings.default_language
    )
    is_open = run.status == RunStatus.OPEN and ctx.clock.now() < run.closes_at
    markup = None
    if is_open and rollcall.audience != Audience.CARE:
        answers = ("well", "help") if rollcall.audience == Audience.HOUSEHOLDS else ("duty", "off")
        markup = Keyboard.of(
            [
                Button(ctx.label(f"rollcall_{a}", lang=lang), Answer(run.id, a).pack())
                for a in answers
            ]
        )
    ctx.live(
        key,
        rollcall.chat_id,
        "rollcall/card",
        lang=lang,
        markup=markup or Keyboard.of(),
        title=rollcall.title,
        audience=rollcall.audience,
        opens=run.opens_at,
        closes=run.closes_at,
        tally=await tally(ctx.session, run, rollcall),
        closed=not is_open,
    )


# -- leaders ------------------------------------------------------------------------------------


@router.command("rollcall", where="group", audience="leader", needs_bound=True)
async def rollcall(ctx: Ctx) -> None:
    """/rollcall <when> | <title> [| audience], or /rollcall pause|resume|stop R-3."""
    args = ctx.incoming.args.strip()
    if not args:
        raise Usage(command="rollcall")
    building = await bound_building(ctx.session, ctx.incoming.chat.id)
    now = ctx.clock.now()
    action, _, ref = args.partition(" ")
    if action.casefold() in ACTIONS:
        if not ref.strip():
            raise Usage(command="rollcall")
        changed = await change_rollcall(
            ctx.session,
            leader=await sender_person(ctx),
            rollcall_id=parse_rollcall_ref(ref),
            building_id=building.id,
            action=action.casefold(),
            now=now,
        )
        ctx.reply("rollcall/changed", ref=changed.ref, title=changed.title, status=changed.status)
        return
    spec = parse_rollcall(args, now=now, tz=ctx.settings.tz)
    made, opened = await schedule_rollcall(
        ctx.session,
        leader=await sender_person(ctx),
        building_id=building.id,
        chat_id=ctx.incoming.chat.id,
        spec=spec,
        now=now,
        tz=ctx.settings.tz,
    )
    ctx.reply("rollcall/scheduled", item=made, opened=opened is not None)
    if opened is not None:
        await _open(ctx, opened)


@router.command("rollcalls", where="group", audience="leader", needs_bound=True)
async def rollcalls(ctx: Ctx) -> None:
    """/rollcalls: the building's rollcalls, with their latest run."""
    building = await bound_building(ctx.session, ctx.incoming.chat.id)
    items = await rollcalls_of(ctx.session, await sender_person(ctx), building.id)
    ctx.reply("rollcall/list", items=items)


# -- answers ------------------------------------------------------------------------------------


@router.callback(Answer)
async def on_answer(ctx: Ctx) -> None:
    """A household (or volunteer) answers; the card counts it; "need help" files a request."""
    tap = tapped(ctx.button, Answer)
    run, made = await load_run(ctx.session, tap.run)
    person = await sender_person(ctx)
    answered = await answer_rollcall(
        ctx.session,
        run_id=tap.run,
        person=person,
        answer=tap.answer,
        now=ctx.clock.now(),
        tz=ctx.settings.tz,
        help_description=ctx.t("rollcall/help_description", title=made.title, day=run.opens_at),
    )
    ctx.refresh(card_key(run.id), made.chat_id)
    reachable = can_reach(person)
    if answered.filed is not None:
        await announce(ctx, answered.filed)
        if reachable:
            ctx.send(
                person.tg_user_id,
                "rollcall/help_asked",
                lang=_lang(ctx, person),
                ref=answered.filed.ref,
                title=made.title,
            )
    ctx.answer(
        "rollcall/answered_toast",
        alert=answered.answer == "help" and not reachable,
        answer=answered.answer,
        changed=answered.previous is not None and answered.previous != answered.answer,
        reachable=reachable,
    )


@router.callback(CareCheck)
async def on_care(ctx: Ctx) -> None:
    """A volunteer reports on a resident; could not reach (or needs help) alerts the leaders."""
    tap = tapped(ctx.button, CareCheck)
    checked = await answer_care(
        ctx.session,
        run_id=tap.run,
        care_id=tap.care,
        person=await sender_person(ctx),
        answer=tap.answer,
        now=ctx.clock.now(),
    )
    resident = checked.resident
    ctx.refresh(card_key(checked.run.id), checked.rollcall.chat_id)
    ctx.reply("rollcall/care_checked", ref=resident.ref, name=resident.name, answer=checked.answer)
    ctx.answer()
    if checked.task is None or checked.previous == checked.answer:
        return
    for leader in await leaders_of(ctx.session, checked.rollcall.building_id):
        if can_reach(leader):
            ctx.send(
                leader.tg_user_id,
                "rollcall/care_alert",
                lang=_lang(ctx, leader),
                ref=resident.ref,
                name=resident.name,
                room=resident.label,
                answer=checked.answer,
                volunteer=checked.volunteer.name,
                title=checked.rollcall.title,
            )


@router.callback(TakeFollowup)
async def on_followup(ctx: Ctx) -> None:
    """A volunteer takes a follow-up: knock on the silent household's door."""
    task, room = await claim_followup(
        ctx.session,
        task_id=tapped(ctx.button, TakeFollowup).task,
        person=await sender_person(ctx),
        now=ctx.clock.now(),
    )
    ctx.reply("rollcall/followup_taken", task=task.id, room=room)
    ctx.answer()


# -- the scheduler's part -----------------------------------------------------------------------


@router.job
async def rollcall_clock(ctx: Emitter) -> None:
    """Open, remind and close rollcall runs; each step is taken once, whoever ticks."""
    missed: dict[int, list[Due]] = {}
    for due, report in await rollcall_steps(ctx.session, ctx.clock.now(), ctx.settings.tz):
        if due.step == "open":
            await _open(ctx, due)
        elif due.step == "remind":
            await _remind(ctx, due)
        elif due.step == "close" and report is not None:
            await _close(ctx, due, report)
        elif due.step == "missed":
            missed.setdefault(due.rollcall.id, []).append(due)
    for runs in missed.values():
        await _missed(ctx, runs)


async def _missed(ctx: Emitter, runs: list[Due]) -> None:
    """Tell the leaders, once per rollcall, which runs passed while Linli was not running."""
    made = runs[0].rollcall
    for leader in await leaders_of(ctx.session, made.building_id):
        if can_reach(leader):
            ctx.send(
                leader.tg_user_id,
                "rollcall/missed",
                lang=_lang(ctx, leader),
                item=made,
                runs=[due.run for due in runs],
            )


async def _open(ctx: Emitter, due: Due) -> None:
    run, made = due.run, due.rollcall
    ctx.refresh(card_key(run.id), made.chat_id)
    if made.audience != Audience.CARE:
        return
    for volunteer, residents in await care_rounds(ctx.session, made):
        if not can_reach(volunteer):
            continue  # counted for the leaders in the close report
        lang = _lang(ctx, volunteer)
        rows = [
            [
                Button(
                    ctx.label(f"rollcall_care_{a}", r.ref, lang=lang),
                    CareCheck(run.id, r.id, a).pack(),
                )
                for a in ("ok", "help", "unreachable")
            ]
            for r in residents
        ]
        ctx.send(
            volunteer.tg_user_id,
            "rollcall/care_round",
            lang=lang,
            markup=Keyboard.of(*rows),
            title=made.title,
            closes=run.closes_at,
            residents=[(r.ref, r.label, r.name) for r in residents],
        )


async def _remind(ctx: Emitter, due: Due) -> None:
    for person in await silent_people(ctx.session, due.run, due.rollcall):
        if can_reach(person):
            ctx.send(
                person.tg_user_id,
                "rollcall/remind",
                lang=_lang(ctx, person),
                title=due.rollcall.title,
                closes=due.run.closes_at,
                audience=due.rollcall.audience,
            )


async def _close(ctx: Emitter, due: Due, report: Report) -> None:
    run, made = due.run, due.rollcall
    ctx.refresh(card_key(run.id), made.chat_id)
    for leader in await leaders_of(ctx.session, made.building_id):
        if can_reach(leader):
            ctx.send(
                leader.tg_user_id,
                "rollcall/report",
                lang=_lang(ctx, leader),
                item=made,
                run=run,
                report=report,
            )
    if not report.followups:
        return
    for volunteer in await followup_volunteers(ctx.session, made.building_id):
        if not can_reach(volunteer):
            continue
        lang = _lang(ctx, volunteer)
        for task_id, room in report.followups:
            ctx.send(
                volunteer.tg_user_id,
                "rollcall/followup",
                lang=lang,
                markup=Keyboard.of(
                    [
                        Button(
                            ctx.label("rollcall_followup_take", lang=lang),
                            TakeFollowup(task_id).pack(),
                        )
                    ]
                ),
                room=room,
                task=task_id,
                title=made.title,
            )
