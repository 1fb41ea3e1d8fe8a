"""Sample values for the hours, points, certificate and thank-you templates (both languages)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.recognition import (
    BONUS_AT_TENTHS,
    PENALTY_BELOW_TENTHS,
    PRIOR_RATING,
    PRIOR_WEIGHT,
    STAR_HOURS,
)
from models.standing import Standing
from models.thanks import Thanked

_AT = datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_NOV, _NOV_END = date(2026, 11, 1), date(2026, 11, 30)

SERVED = Standing(
    week_minutes=90,
    month_minutes=390,
    total_minutes=1234,
    stars=3,
    ratings=2,
    earned_half=41,
    redeemed_half=6,
    thanked=True,
)
NOT_SERVED = Standing(
    week_minutes=0,
    month_minutes=0,
    total_minutes=0,
    stars=1,
    ratings=0,
    earned_half=0,
    redeemed_half=0,
    thanked=False,
)
_CROWD = [Thanked(f"志愿者{n} <v{n}> " + "名" * 100, 30 + n) for n in range(100)]

RECORDS_SAMPLES: dict[str, list[dict[str, Any]]] = {
    "records/stars": [
        {
            "star_hours": STAR_HOURS,
            "prior": PRIOR_RATING,
            "prior_weight": PRIOR_WEIGHT,
            "bonus": BONUS_AT_TENTHS / 10,
            "penalty": PENALTY_BELOW_TENTHS / 10,
        }
    ],
    "records/redeemed": [
        {"who": "Sarah <S>", "half": half, "told": told, "link": "https://t.me/b?start=rd4"}
        for half in (1, 2, 7)
        for told in (True, False)
    ],
    "records/redeemed_volunteer": [
        {"leader": "陈 <Chen>", "half": 3, "note": "蔬菜券 <voucher>", "at": _AT, "balance": 0},
        {"leader": "", "half": 2, "note": "", "at": _AT, "balance": 35},
    ],
    "records/certificate_caption": [
        {"minutes": 90, "start": _NOV, "end": _NOV_END, "code": "ABCD-EFGH"}
    ],
    "records/verified": [
        {
            "code": "ABCD-EFGH",
            "name": "王 <Wang>",
            "community": "阳光花园 & Co",
            "start": _NOV,
            "end": _NOV_END,
            "minutes": 1234,
            "issued": _AT,
        }
    ],
    "records/thanks": [
        {
            "building": "3号楼 & Co",
            "month": _NOV,
            "count": 2,
            "total": 390,
            "shown": [Thanked("Sarah <S>", 300), Thanked("王阿姨", 90)],
            "more": 0,
        },
        {
            "building": "3号楼",
            "month": _NOV,
            "count": 1,
            "total": 30,
            "shown": [Thanked("Tom", 30)],
            "more": 0,
        },
        # The handler trims the list to fit 4,096 characters; this is the most it shows.
        {
            "building": "3号楼",
            "month": _NOV,
            "count": 100,
            "total": 7950,
            "shown": _CROWD[:20],
            "more": 80,
        },
    ],
    "records/thanks_set": [{"thanked": True}, {"thanked": False}],
    "errors/bad_points": [{"text": "<b>-1", "limit": 10000}, {"text": "", "limit": 10000}],
    "errors/not_enough_points": [
        {"name": "Sarah <S>", "asked": 7, "balance": 3},
        {"name": "", "asked": 2, "balance": 0},
    ],
    "errors/own_redemption": [{}],
    "errors/no_such_redemption": [{}],
    "errors/bad_period": [{"text": "<b>上个月"}, {"text": ""}],
    "errors/no_service_in_period": [{"start": _NOV, "end": _NOV_END}, {"start": None, "end": None}],
    "errors/certificate_not_found": [{"code": "<b>XYZ"}],
}
