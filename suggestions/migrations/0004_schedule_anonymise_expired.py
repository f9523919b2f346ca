"""Schedule the daily retention run in django-celery-beat (editable later in admin)."""

from django.db import migrations

TASK_NAME = "个人信息到期匿名化 (suggestions.anonymise_expired)"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 03:17 Shanghai time: outside office hours, off the round hour.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="17",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    # get_or_create by name: an administrator's later edits survive a re-run.
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": "suggestions.anonymise_expired", "crontab": crontab, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0003_scores_reports_access_log"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
