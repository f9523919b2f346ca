from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from suggestions.common.schedules import SCHEDULES, schedules_ensure
from suggestions.models import Tally, TallyRun
from suggestions.tallies.tasks import tally_campaign
from tests.conftest import wait_for
from tests.tallies.conftest import make_ideas


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_tally_runs_through_a_real_worker_on_the_configured_broker(
    celery_worker, units, campaign, settled
):
    make_ideas(campaign, units["东街街道"], 3)
    tally_campaign.delay(campaign.pk)
    run = wait_for(lambda: TallyRun.objects.filter(campaign=campaign).first(), timeout=60)
    assert run is not None, "no tally ran: see var/test-worker.log"
    assert (
        Tally.objects.get(campaign=campaign, unit=units["城区"], day=run.day, dimension="all").total
        == 3
    )


def test_schedules_are_created_once_and_admin_edits_survive(db):
    schedules_ensure()
    tally = PeriodicTask.objects.get(task="suggestions.tally_active_campaigns")
    assert (tally.interval.every, tally.interval.period) == (10, "minutes")
    daily = PeriodicTask.objects.get(task="suggestions.reports_daily")
    assert (daily.crontab.hour, daily.crontab.minute, str(daily.crontab.timezone)) == (
        "18",
        "0",
        "Asia/Shanghai",
    )
    tally.enabled = False
    tally.save()
    call_command("ensure_schedules", stdout=StringIO())
    assert PeriodicTask.objects.filter(task__startswith="suggestions.").count() == len(SCHEDULES)
    assert PeriodicTask.objects.get(pk=tally.pk).enabled is False


def test_the_tally_command_reports_progress(units, campaign, settled):
    make_ideas(campaign, units["东街街道"], 2)
    out = StringIO()
    call_command("tally", stdout=out)
    assert "[1/1] jc2021: tallying… written:" in out.getvalue()
    assert TallyRun.objects.count() == 1


def test_the_report_task_stores_a_report_for_the_unit(units, campaign, settled):
    from suggestions.models import Report
    from suggestions.tallies.tasks import report_generate_task

    make_ideas(campaign, units["东街街道"], 2)
    report_id = report_generate_task(campaign.pk, units["城区"].pk)
    report = Report.objects.get(pk=report_id)
    assert report.unit == units["城区"] and report.scope == "unit" and report.xlsx


def test_every_scheduled_task_is_a_registered_celery_task(db):
    from jincheng_portal.celery import app

    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))

    assert scheduled == {task for _name, task, _when in SCHEDULES}
    assert scheduled <= set(app.tasks)


def test_a_redelivered_daily_run_stores_each_report_once(units, campaign, settled):
    """reports_daily gives its reports its own task id as their run key: delivered twice
    (a worker killed after queueing them), it queues the same reports, stored once."""
    from jincheng_portal.celery import app
    from suggestions.models import Report
    from suggestions.tallies.tasks import reports_daily
    from units.models import Unit

    make_ideas(campaign, units["东街街道"], 2)
    expected = 1 + Unit.objects.reporting().count()  # the city and every reporting unit
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the queued report tasks run here, in this process
    try:
        assert reports_daily.apply(task_id="daily-redelivered").result == expected
        assert reports_daily.apply(task_id="daily-redelivered").result == expected
        assert Report.objects.count() == expected
        assert set(Report.objects.values_list("run_key", flat=True)) == {"daily-redelivered"}
        reports_daily.apply(task_id="daily-next-day")  # another run: new reports
        assert Report.objects.count() == 2 * expected
    finally:
        app.conf.task_always_eager = eager


def test_a_redelivered_beat_tally_run_stores_each_campaigns_run_once(units, campaign, settled):
    """tally_active_campaigns gives its tallies its own task id as their run key: delivered
    twice (a worker killed after queueing them), it queues the same tallies, stored once."""
    from jincheng_portal.celery import app
    from suggestions.tallies.tasks import tally_active_campaigns

    make_ideas(campaign, units["东街街道"], 2)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the queued tally tasks run here, in this process
    try:
        assert tally_active_campaigns.apply(task_id="beat-redelivered").result == [campaign.pk]
        assert tally_active_campaigns.apply(task_id="beat-redelivered").result == [campaign.pk]
        assert TallyRun.objects.count() == 1
        assert TallyRun.objects.get().run_key == "beat-redelivered"
        tally_active_campaigns.apply(task_id="beat-ten-minutes-later")  # another run
        assert TallyRun.objects.count() == 2
    finally:
        app.conf.task_always_eager = eager


@pytest.mark.parametrize(
    "task",
    [
        "suggestions.tally_campaign",
        "suggestions.tally_active_campaigns",
        "suggestions.report_generate",
        "suggestions.reports_daily",
    ],
)
def test_tallies_and_reports_have_their_own_queue_which_every_worker_consumes(task):
    from jincheng_portal.celery import app

    # Behind a burst of near-duplicate checks (default queue) a tally still runs next.
    assert app.amqp.router.route({}, task, (), {})["queue"].name == "tallies"
    assert (
        app.amqp.router.route({}, "suggestions.tasks.suggestion_received", (), {})["queue"].name
        == "celery"
    )
    # A worker started without -Q consumes every declared queue.
    assert {"celery", "tallies"} <= set(app.amqp.queues)
