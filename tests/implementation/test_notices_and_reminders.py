"""Submitter notices and 催办 reminders: each sent once, however often the task runs."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from suggestions.common.rules import Actor
from suggestions.common.schedules import SCHEDULES
from suggestions.implementation.notifications import (
    implementation_notices_catch_up,
    implementation_notices_send,
    implementation_reminders_send,
)
from suggestions.implementation.tasks import implementation_remind
from suggestions.implementation.workflow import (
    implementation_adopt,
    implementation_reopen,
    implementation_reply_publish,
)
from suggestions.models import ImplementationNotice, ImplementationReminder, ImplementationStatus
from tests.implementation.conftest import today

St = ImplementationStatus


def test_adoption_notice_is_sent_once_and_logs_no_phone(impl_factory, personas, caplog):
    impl = impl_factory(phone="13912345678")
    change = implementation_adopt(implementation=impl, actor=Actor.of(personas["reviewer"]))

    with caplog.at_level("INFO"):
        assert implementation_notices_send(change_ids=[change.pk]) == 1
        assert implementation_notices_send(change_ids=[change.pk]) == 0

    notice = ImplementationNotice.objects.get()
    assert notice.sent_at is not None and notice.backend == "LogNotifier"
    assert impl.suggestion.receipt in caplog.text
    assert "13912345678" not in caplog.text


def test_the_sms_gateway_gets_the_implementation_text(impl_factory, personas, settings):
    from unittest import mock

    settings.PORTAL_NOTIFIER = "suggestions.screening.notifications.SmsNotifier"
    settings.PORTAL_SMS_GATEWAY_URL = "https://sms.example.cn/send"
    impl = impl_factory(status=St.CONFIRMED)
    change = implementation_reply_publish(
        implementation=impl, actor=Actor.of(personas["reviewer"]), text="感谢您的建议"
    )
    with mock.patch("urllib.request.urlopen") as urlopen:
        urlopen.return_value.__enter__.return_value.status = 200
        assert implementation_notices_send(change_ids=[change.pk]) == 1
    body = json.loads(urlopen.call_args.args[0].data)
    assert body["phone"] == "13812345678" and "正式答复" in body["message"]


def test_an_undone_adoption_is_not_announced_and_catch_up_sends_what_was_lost(
    impl_factory, personas
):
    undone = impl_factory()
    kept = impl_factory()
    reviewer = Actor.of(personas["reviewer"])
    implementation_adopt(implementation=kept, actor=reviewer)
    # Not adopted then reopened: the reference decision was never announced.
    from suggestions.implementation.workflow import implementation_not_adopt

    implementation_not_adopt(implementation=undone, actor=reviewer, reason="重复")
    implementation_reopen(implementation=undone, actor=Actor.of(personas["admin"]), reason="复议")

    # on_commit callbacks never run inside a test transaction: as if the broker were down.
    assert implementation_notices_catch_up() == 1
    assert implementation_notices_catch_up() == 0


def test_reminders_go_once_per_unit_per_day(impl_factory, units, settings):
    settings.IMPLEMENTATION_STALE_DAYS = 14
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.contrib.auth import get_user_model

    from units.roles import Role, assign_role

    staff = get_user_model().objects.create_user("chengqu_staff", email="cq@example.cn")
    assign_role(user=staff, role=Role.SCREENER, units=[units["城区"]])
    overdue = impl_factory(status=St.IN_PROGRESS, lead="城区")
    overdue.__class__.objects.filter(pk=overdue.pk).update(due_date=today() - timedelta(days=1))
    stale = impl_factory(status=St.ASSIGNED, lead="城区")
    stale.__class__.objects.filter(pk=stale.pk).update(
        last_progress_at=timezone.now() - timedelta(days=15)
    )
    impl_factory(status=St.IN_PROGRESS, lead="泽州县")  # on time and fresh: no reminder
    done = impl_factory(status=St.COMPLETED, lead="泽州县")
    done.__class__.objects.filter(pk=done.pk).update(due_date=today() - timedelta(days=3))

    assert implementation_reminders_send() == 1
    assert implementation_reminders_send() == 0
    assert implementation_remind() == 0  # the task delivered again

    reminder = ImplementationReminder.objects.get()
    assert (reminder.unit, reminder.day, reminder.overdue, reminder.stale) == (
        units["城区"],
        today(),
        1,
        1,
    )
    assert overdue.suggestion.receipt in reminder.receipts
    assert stale.suggestion.receipt in reminder.receipts
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["cq@example.cn"]
    assert "催办" in mail.outbox[0].body


def test_a_failed_reminder_is_sent_by_the_next_run_the_same_day(impl_factory, settings):
    from unittest import mock

    impl = impl_factory(status=St.ASSIGNED, lead="城区")
    impl.__class__.objects.filter(pk=impl.pk).update(due_date=today() - timedelta(days=1))
    target = "suggestions.implementation.notifications._deliver"
    with mock.patch(target, side_effect=ConnectionError("smtp down")):
        assert implementation_reminders_send() == 0
    assert ImplementationReminder.objects.get().error
    assert implementation_reminders_send() == 1
    assert implementation_reminders_send() == 0


def test_the_reminder_runs_daily_at_half_past_eight_shanghai():
    (entry,) = [s for s in SCHEDULES if s[1] == "suggestions.implementation_remind"]
    assert (entry[2].hour, entry[2].minute) == (8, 30)


@pytest.mark.parametrize("days", [1, 30])
def test_stale_days_is_a_setting(days, impl_factory, settings):
    settings.IMPLEMENTATION_STALE_DAYS = days
    impl = impl_factory(status=St.ASSIGNED, lead="城区")
    impl.__class__.objects.filter(pk=impl.pk).update(
        last_progress_at=timezone.now() - timedelta(days=2)
    )
    assert implementation_reminders_send() == (1 if days == 1 else 0)


@pytest.mark.django_db(transaction=True)
def test_the_reminder_task_delivered_twice_at_once_sends_one_per_unit(
    campaign, units, personas, settings
):
    """Two workers running the same redelivered task at the same moment."""
    import threading

    from django.db import connection, connections

    from suggestions.models import Implementation
    from tests.factories import SuggestionFactory

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs two real connections")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    personas["screener_chengqu"].email = "cq@example.cn"
    personas["screener_chengqu"].save()
    for lead in ("城区", "泽州县", "城区"):
        idea = SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status="excellent")
        Implementation.objects.create(
            suggestion=idea,
            campaign=campaign,
            status=St.IN_PROGRESS,
            lead_unit=units[lead],
            due_date=today() - timedelta(days=1),
            last_progress_at=timezone.now(),
        )
    barrier = threading.Barrier(2)
    sent: list = [None, None]

    def run(i):
        try:
            barrier.wait()
            sent[i] = implementation_remind()
        except Exception as exc:  # asserted below
            sent[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(sent, key=str) in ([0, 2], [1, 1]), sent
    assert sorted(ImplementationReminder.objects.values_list("unit__name", flat=True)) == [
        "城区",
        "泽州县",
    ]
    assert ImplementationReminder.objects.filter(sent_at__isnull=True).count() == 0
    assert [m.to for m in mail.outbox] == [["cq@example.cn"]]
