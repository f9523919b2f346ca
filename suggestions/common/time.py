"""The campaign's local time: Jincheng is in Asia/Shanghai (UTC+8, no daylight saving).

Dates shown to people, per-day figures and the demo campaign's dates all use
this one zone; TIME_ZONE in settings names the same zone for Django itself.
"""

from datetime import date, datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.utils import timezone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The local calendar day of an aware datetime."""
    return timezone.localtime(moment, LOCAL_TZ).date()


def local_day_start(day: date) -> datetime:
    """Local midnight at the start of a day, as an aware datetime."""
    return datetime.combine(day, dtime.min, tzinfo=LOCAL_TZ)
