"""Configuration from the environment (and an optional .env file)."""

from __future__ import annotations

import hashlib
from datetime import time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models.help_board import EscalationPolicy
from models.rest_rules import RestRules

TELEGRAM_API_URL = "https://api.telegram.org"
# "10,30" in the environment, not JSON.
MinutePair = Annotated[tuple[int, int], NoDecode]


class Settings(BaseSettings):
    """Every setting Linli reads; names are the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    telegram_bot_token: str = Field("", alias="TELEGRAM_BOT_TOKEN")
    api_url: str = Field(TELEGRAM_API_URL, alias="LINLI_API_URL")
    database_url: str = Field("sqlite+aiosqlite:///linli.db", alias="LINLI_DATABASE_URL")
    framework: Literal["ptb", "aiogram"] = Field("ptb", alias="LINLI_FRAMEWORK")
    timezone: str = Field("Asia/Shanghai", alias="LINLI_TIMEZONE")
    default_language: Literal["zh", "en"] = Field("zh", alias="LINLI_DEFAULT_LANGUAGE")
    emergency_number: str = Field("120", alias="LINLI_EMERGENCY_NUMBER")
    community_name: str = Field("阳光花园 Sunshine Garden", alias="LINLI_COMMUNITY_NAME")
    # Comma-separated Telegram user ids of the people who run the whole community.
    coordinators: str = Field("", alias="LINLI_COORDINATORS")
    # Help requests left unclaimed: minutes until the leaders, then the coordinators, are told.
    help_urgent_minutes: MinutePair = Field((10, 30), alias="LINLI_HELP_URGENT_MINUTES")
    help_today_minutes: MinutePair = Field((120, 360), alias="LINLI_HELP_TODAY_MINUTES")
    help_week_minutes: MinutePair = Field((1440, 4320), alias="LINLI_HELP_WEEK_MINUTES")
    # A claimed request past its due time: the volunteer is reminded, the leaders this much later.
    help_overdue_minutes: int = Field(60, alias="LINLI_HELP_OVERDUE_MINUTES")
    # Rest rules for shifts: at most this many hours a day and a week, at least this much rest.
    shift_max_day_hours: float = Field(8, alias="LINLI_SHIFT_MAX_DAY_HOURS", gt=0)
    shift_max_week_hours: float = Field(40, alias="LINLI_SHIFT_MAX_WEEK_HOURS", gt=0)
    shift_min_rest_hours: float = Field(8, alias="LINLI_SHIFT_MIN_REST_HOURS", ge=0)
    # When subscribed leaders get the day's report, community time ("HH:MM").
    report_daily_at: str = Field("21:00", alias="LINLI_REPORT_DAILY_AT")
    # `linli run --webhook`: Telegram POSTs to the URL; the endpoint listens on host:port.
    webhook_url: str = Field("", alias="LINLI_WEBHOOK_URL")
    webhook_host: str = Field("0.0.0.0", alias="LINLI_WEBHOOK_HOST")
    webhook_port: int = Field(8443, alias="LINLI_WEBHOOK_PORT")
    webhook_secret: str = Field("", alias="LINLI_WEBHOOK_SECRET", pattern=r"^[A-Za-z0-9_-]{0,256}$")

    @field_validator("coordinators")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() and not part.strip().isdigit():
                raise ValueError(f"LINLI_COORDINATORS: {part.strip()!r} is not a Telegram user id")
        return value

    @property
    def coordinator_ids(self) -> frozenset[int]:
        """The configured coordinators' Telegram user ids."""
        return frozenset(int(p) for p in self.coordinators.split(",") if p.strip())

    @field_validator(
        "help_urgent_minutes", "help_today_minutes", "help_week_minutes", mode="before"
    )
    @classmethod
    def _minute_pair(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.split(","))
        return value

    @property
    def help_policy(self) -> EscalationPolicy:
        """When unclaimed or overdue help requests are escalated."""
        pairs = {
            "urgent": self.help_urgent_minutes,
            "today": self.help_today_minutes,
            "week": self.help_week_minutes,
        }
        return EscalationPolicy(
            {k: (timedelta(minutes=a), timedelta(minutes=b)) for k, (a, b) in pairs.items()},
            timedelta(minutes=self.help_overdue_minutes),
        )

    @property
    def rest_rules(self) -> RestRules:
        """The community's rest rules for shift claims."""
        return RestRules(
            timedelta(hours=self.shift_max_day_hours),
            timedelta(hours=self.shift_max_week_hours),
            timedelta(hours=self.shift_min_rest_hours),
        )

    @field_validator("report_daily_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"LINLI_REPORT_DAILY_AT: {value!r} is not a time like 21:00") from None
        return value.strip()

    @property
    def report_time(self) -> time:
        """The local time of the leaders' daily report."""
        return time.fromisoformat(self.report_daily_at)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone, so a typo fails at start, not at 18:00
        return value

    @field_validator("api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def webhook_token(self) -> str:
        """The secret Telegram sends with each webhook call: the setting, else one of the token."""
        if self.webhook_secret:
            return self.webhook_secret
        return hashlib.sha256(f"linli-webhook:{self.telegram_bot_token}".encode()).hexdigest()

    @property
    def tz(self) -> ZoneInfo:
        """The community's timezone."""
        return ZoneInfo(self.timezone)
