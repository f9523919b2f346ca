"""Every periodic task of the portal, kept in django-celery-beat's tables (editable in admin).

`schedules_ensure()` runs after every `migrate` (suggestions.apps) and from
`manage.py ensure_schedules`; it creates missing entries and leaves an
administrator's later edits of timing or enabled state alone.
"""

from dataclasses import dataclass

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Every:
    minutes: int


@dataclass(frozen=True)
class DailyAt:
    hour: int
    minute: int


# name shown in admin, task, when
SCHEDULES = [
    ("金点子统计（每10分钟）", "suggestions.tally_active_campaigns", Every(minutes=10)),
    ("金点子日报（每天18:00）", "suggestions.reports_daily", DailyAt(hour=18, minute=0)),
    # Work that was not queued while the broker was down is picked up by these.
    ("补查未处理的新建议（每5分钟）", "suggestions.tasks.suggestions_received_catch_up", Every(5)),
    ("补发评选结果通知（每15分钟）", "suggestions.outcome_notify_catch_up", Every(minutes=15)),
    (
        "补发落实情况通知（每15分钟）",
        "suggestions.implementation_notify_catch_up",
        Every(minutes=15),
    ),
    # Before the working day starts in Jincheng (crontab in Asia/Shanghai).
    ("金点子落实催办（每天08:30）", "suggestions.implementation_remind", DailyAt(8, 30)),
    # Off the round hour and outside office hours.
    (
        "个人信息到期匿名化（每天03:17）",
        "suggestions.anonymise_expired",
        DailyAt(hour=3, minute=17),
    ),
    (
        "清理过期的接口幂等记录（每天04:07）",
        "suggestions.tasks.idempotency_records_purge",
        DailyAt(4, 7),
    ),
]


def _when(when: Every | DailyAt) -> dict:
    if isinstance(when, Every):
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=when.minutes, period=IntervalSchedule.MINUTES
        )
        return {"interval": interval}
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(when.minute),
        hour=str(when.hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    return {"crontab": crontab}


@transaction.atomic
def schedules_ensure() -> list[PeriodicTask]:
    """Create the beat entries that are missing (matched by task); returns all of them."""
    tasks = []
    for name, task, when in SCHEDULES:
        existing = PeriodicTask.objects.filter(task=task).first()
        if existing is None:
            existing = PeriodicTask.objects.create(name=name, task=task, **_when(when))
        tasks.append(existing)
    return tasks
