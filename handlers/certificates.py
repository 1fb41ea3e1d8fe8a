"""Service certificates: `/certificate [period]` sends a PDF privately; `/verify <code>` checks one.

The PDF states the name, community, period, total hours and a table of services (date, kind,
hours: never what was done for whom), with the issuing community, the date and a verification
code. Asked in a group, the certificate goes privately, or the answer is a start link.
"""

from __future__ import annotations

from datetime import date

from bot.context import Ctx
from bot.refusals import Usage
from bot.routing import Router
from handlers.certificate_pdf import CertificateText, certificate_pdf
from handlers.identity import can_reach, sender_person
from models.certificates import (
    Issued,
    Period,
    issue_certificate,
    parse_period,
    verify_certificate,
)
from models.errors import BadPeriod
from models.people import Person

router = Router("certificates")

CERTIFICATE_LINK = "ce"  # /start ce<period>: 0 for all time, else YYYYMMDD·YYYYMMDD
DAY = "%Y%m%d"


def period_payload(period: Period) -> str:
    """The period as the digits of a start link."""
    if period.start is None or period.end is None:
        return "0"
    return period.start.strftime(DAY) + period.end.strftime(DAY)


def period_of_payload(digits: str) -> Period:
    """The period a start link carries; raise BadPeriod for anything else."""
    if digits == "0":
        return Period()
    try:
        if len(digits) == 16:
            return parse_period(f"{_iso(digits[:8])} {_iso(digits[8:])}")
    except ValueError:
        pass
    raise BadPeriod(text=digits)


def _iso(digits: str) -> str:
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()


@router.command("certificate", audience="volunteer")
async def certificate(ctx: Ctx) -> None:
    """/certificate [2026-11 | 2026 | from to]: the service certificate as a PDF, privately."""
    period = parse_period(ctx.incoming.args)
    person = await sender_person(ctx)
    if ctx.incoming.chat.is_private:
        await _send(ctx, person, period)
    elif can_reach(person):
        await _send(ctx, person, period)
        ctx.reply("groupbuy/sent_privately")
    else:
        link = ctx.deep_link(f"{CERTIFICATE_LINK}{period_payload(period)}")
        ctx.reply("groupbuy/open_privately", link=link)


@router.deep_link(CERTIFICATE_LINK)
async def open_certificate_link(ctx: Ctx) -> None:
    """/start ce<period>: the certificate asked for in a group, now that the chat is open."""
    digits = ctx.incoming.args.strip()[len(CERTIFICATE_LINK) :]
    await _send(ctx, await sender_person(ctx), period_of_payload(digits))


async def _send(ctx: Ctx, person: Person, period: Period) -> None:
    """Issue the certificate in the person's language and send it to their private chat."""
    lang = person.language or ctx.lang
    issued = await issue_certificate(
        ctx.session,
        person=person,
        period=period,
        community=ctx.settings.community_name,
        language=lang,
        now=ctx.clock.now(),
        tz=ctx.settings.tz,
    )
    cert = issued.certificate
    ctx.send_file(
        person.tg_user_id,
        f"linli-certificate-{cert.display_code}.pdf",
        certificate_pdf(_text(ctx, issued, lang)),
        caption="records/certificate_caption",
        lang=lang,
        minutes=cert.minutes,
        start=cert.period_from,
        end=cert.period_to,
        code=cert.display_code,
    )


def _text(ctx: Ctx, issued: Issued, lang: str) -> CertificateText:
    """Every word of the PDF, from the language's labels."""
    cert = issued.certificate

    def label(name: str, *args: object) -> str:
        return ctx.label(name, *args, lang=lang)

    start, end = cert.period_from, cert.period_to
    return CertificateText(
        title=label("cert_title"),
        statement=label("cert_statement", cert.name, cert.community, start, end, cert.minutes),
        facts=[
            (label("cert_fact", "name"), cert.name),
            (label("cert_fact", "community"), cert.community),
            (label("cert_fact", "period"), label("cert_period", start, end)),
            (label("cert_fact", "hours"), label("cert_hours", cert.minutes)),
            (label("cert_fact", "services"), str(cert.services)),
        ],
        headers=label("cert_headers").split("|"),
        rows=[
            (line.day.isoformat(), label("service_kind", line.kind), label("hours1", line.minutes))
            for line in issued.lines
        ],
        footer=[
            label("cert_issuer", cert.community),
            label("cert_issued", cert.issued_at.astimezone(ctx.settings.tz).date()),
            label("cert_code", cert.display_code, ctx.api.bot_username),
        ],
    )


@router.command("verify")
async def verify(ctx: Ctx) -> None:
    """/verify <code>: whether a certificate is genuine, and what it states."""
    if not ctx.incoming.args.strip():
        raise Usage(command="verify")
    cert = await verify_certificate(ctx.session, ctx.incoming.args)
    ctx.reply(
        "records/verified",
        code=cert.display_code,
        name=cert.name,
        community=cert.community,
        start=cert.period_from,
        end=cert.period_to,
        minutes=cert.minutes,
        issued=cert.issued_at,
    )
