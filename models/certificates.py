"""Service certificates (志愿服务记录证明): issued from the service records, verifiable by code.

Each /certificate stores a row with what the document states (name, period, hours) under a
random verification code; `/verify <code>` reads that row back, so a school or employer can
check a printed certificate against Linli without seeing anything else about the volunteer.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.errors import BadPeriod, NoServiceInPeriod, NoSuchCertificate
from models.people import Person
from models.records import ServiceRecord
from models.service_hours import local_midnight

# No I, L, O, 0 or 1: a code read off paper and typed again should not be misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 31⁸ ≈ 8.5·10¹¹ codes: guessing one through a chat is hopeless


class Certificate(Base):
    """A certificate as issued: what it states, under its verification code."""

    __tablename__ = "service_certificates"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    # /forgetme deletes the person's certificates with them: a name must not outlive the person.
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    community: Mapped[str] = mapped_column(String(80))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    services: Mapped[int]
    language: Mapped[str] = mapped_column(String(5))
    issued_at: Mapped[datetime]

    @property
    def display_code(self) -> str:
        """The code as printed: ABCD-EFGH."""
        return f"{self.code[:4]}-{self.code[4:]}"


@dataclass(frozen=True, slots=True)
class Period:
    """The days a certificate covers (local dates, inclusive); None: since the first / up to now."""

    start: date | None = None
    end: date | None = None


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One row of the certificate's table: the local date, the kind of service, its minutes."""

    day: date
    kind: str
    minutes: int


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate just issued and the services it lists."""

    certificate: Certificate
    lines: list[ServiceLine]


# -- the period asked for ---------------------------------------------------------------------

_PART = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_BETWEEN = re.compile(r"\s*(?:\.\.|~|至|到|\s-\s|\sto\s|\s)\s*")


def _span(part: str, text: str) -> tuple[date, date]:
    """The first and last day that "2026", "2026-11" or "2026-11-05" names."""
    match = _PART.fullmatch(part)
    if not match:
        raise BadPeriod(text=text)
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            first = date(year, month, 1)
            return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return date(year, month, day), date(year, month, day)
    except ValueError:
        raise BadPeriod(text=text) from None


def parse_period(text: str) -> Period:
    """ "" (all time), "2026", "2026-11", "2026年11月", or a range "2026-11-01 2026-11-30"."""
    normalised = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not normalised:
        return Period()
    # 2026年11月5日 → 2026-11-5; 2026/11 → 2026-11
    normalised = re.sub(r"(\d)\s*[年月/.](?=\s*\d)", r"\1-", normalised)
    normalised = re.sub(r"(\d)\s*[年月日号]", r"\1", normalised)
    parts = [p for p in _BETWEEN.split(normalised) if p]
    if len(parts) == 1:
        start, end = _span(parts[0], text)
    elif len(parts) == 2:
        start, end = _span(parts[0], text)[0], _span(parts[1], text)[1]
    else:
        raise BadPeriod(text=text)
    if start > end:
        raise BadPeriod(text=text)
    return Period(start, end)


# -- issuing and verifying --------------------------------------------------------------------


async def service_lines(
    session: AsyncSession, person_id: int, period: Period, tz: ZoneInfo
) -> list[ServiceLine]:
    """The person's services that began within the period, oldest first."""
    query = select(ServiceRecord.started_at, ServiceRecord.kind, ServiceRecord.minutes).where(
        ServiceRecord.person_id == person_id
    )
    if period.start is not None:
        query = query.where(ServiceRecord.started_at >= local_midnight(period.start, tz))
    if period.end is not None:
        end = local_midnight(period.end + timedelta(days=1), tz)
        query = query.where(ServiceRecord.started_at < end)
    rows = await session.execute(query.order_by(ServiceRecord.started_at, ServiceRecord.id))
    return [ServiceLine(started.astimezone(tz).date(), kind, m) for started, kind, m in rows]


async def issue_certificate(
    session: AsyncSession,
    *,
    person: Person,
    period: Period,
    community: str,
    language: str,
    now: datetime,
    tz: ZoneInfo,
) -> Issued:
    """Store a certificate of the person's service in the period, under a fresh code."""
    lines = await service_lines(session, person.id, period, tz)
    if not lines or not sum(line.minutes for line in lines):
        raise NoServiceInPeriod(start=period.start, end=period.end)
    today = now.astimezone(tz).date()
    certificate = Certificate(
        code=await _fresh_code(session),
        person_id=person.id,
        name=person.name,
        community=community[:80],
        period_from=period.start or lines[0].day,
        period_to=min(period.end, today) if period.end else today,
        minutes=sum(line.minutes for line in lines),
        services=len(lines),
        language=language,
        issued_at=now,
    )
    session.add(certificate)
    await session.flush()
    return Issued(certificate, lines)


async def _fresh_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def normalise_code(text: str) -> str:
    """A code as typed ("abcd efgh", "ABCD-EFGH", full-width) in its stored form."""
    return re.sub(r"[\s\-_]", "", unicodedata.normalize("NFKC", text or "")).upper()


async def verify_certificate(session: AsyncSession, text: str) -> Certificate:
    """The certificate with this code; raise NoSuchCertificate if there is none."""
    code = normalise_code(text)
    found = None
    if len(code) == CODE_LENGTH:
        found = await session.scalar(select(Certificate).where(Certificate.code == code))
    if found is None:
        raise NoSuchCertificate(code=text.strip())
    return found
