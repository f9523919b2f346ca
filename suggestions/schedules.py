"""The periodic tasks of the tallies, kept in django-celery-beat's tables (editable in admin)."""

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

TALLY_TASK_NAME = "金点子统计（每10分钟）"
REPORTS_TASK_NAME = "金点子日报（每天18:00）"


@transaction.atomic
def tally_schedules_ensure() -> list[PeriodicTask]:
    """Create the beat entries if missing; an administrator's later edits of the
    timing are kept (only the task they run is reset)."""
    every_10, _ = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.MINUTES)
    at_18, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="18",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    tally, _ = PeriodicTask.objects.get_or_create(
        name=TALLY_TASK_NAME,
        defaults={"task": "suggestions.tally_active_campaigns", "interval": every_10},
    )
    reports, _ = PeriodicTask.objects.get_or_create(
        name=REPORTS_TASK_NAME,
        defaults={"task": "suggestions.reports_daily", "crontab": at_18},
    )
    return [tally, reports]
