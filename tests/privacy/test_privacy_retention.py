"""Contact data is erased after retention and on request; the idea itself stays."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from suggestions.models import Campaign, PersonalDataAccess, Suggestion
from suggestions.privacy.retention import (
    ErasureRefused,
    suggestion_erase_contact,
    suggestions_anonymise_expired,
)
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


def _campaign(slug, closed_days_ago):
    closes = timezone.now() - timedelta(days=closed_days_ago)
    return Campaign.objects.create(
        name=slug,
        slug=slug,
        receipt_prefix=slug.upper(),
        opens_at=closes - timedelta(days=60),
        closes_at=closes,
    )


@pytest.fixture
def ideas(units):
    old = _campaign("old", closed_days_ago=400)
    recent = _campaign("recent", closed_days_ago=100)
    unit = units["城区"]
    return {
        "old": SuggestionFactory.create_batch(3, campaign=old, unit=unit),
        "recent": SuggestionFactory.create_batch(2, campaign=recent, unit=unit),
    }


def test_ideas_past_retention_lose_name_and_phone_but_stay(ideas):
    count = suggestions_anonymise_expired()

    assert count == 3
    for idea in ideas["old"]:
        idea.refresh_from_db()
        assert (idea.name, idea.phone) == ("", "")
        assert idea.anonymised_at is not None
        assert "13812345678" not in idea.fingerprint
        assert idea.title and idea.content  # the idea itself is kept
    for idea in ideas["recent"]:
        idea.refresh_from_db()
        assert (idea.name, idea.phone) == ("张三", "13812345678")
        assert idea.anonymised_at is None


def test_a_second_run_changes_nothing(ideas):
    suggestions_anonymise_expired()
    first = {s.pk: s.anonymised_at for s in Suggestion.objects.all()}

    assert suggestions_anonymise_expired() == 0
    assert {s.pk: s.anonymised_at for s in Suggestion.objects.all()} == first


@override_settings(PERSONAL_DATA_RETENTION_DAYS=30)
def test_the_retention_period_is_a_setting(ideas):
    assert suggestions_anonymise_expired() == 5


def test_the_command_reports_and_honours_dry_run(ideas, capsys):
    call_command("anonymise_expired", "--dry-run")
    assert "3 ideas would be anonymised" in capsys.readouterr().out
    assert Suggestion.objects.filter(anonymised_at__isnull=False).count() == 0

    call_command("anonymise_expired")
    assert "3 ideas anonymised" in capsys.readouterr().out
    assert Suggestion.objects.filter(anonymised_at__isnull=False).count() == 3


def test_the_daily_run_is_scheduled_in_beat_after_migrate():
    task = PeriodicTask.objects.get(task="suggestions.anonymise_expired")

    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("3", "17")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_the_task_is_registered_under_the_scheduled_name():
    from jincheng_portal.celery import app

    app.loader.import_default_modules()
    assert "suggestions.anonymise_expired" in app.tasks


def test_a_deletion_request_erases_one_idea_and_is_recorded(ideas, personas):
    idea = ideas["recent"][0]

    suggestion_erase_contact(suggestion_id=idea.pk, user=personas["admin"], reason="电话申请")

    idea.refresh_from_db()
    assert (idea.name, idea.phone) == ("", "")
    assert idea.anonymised_at is not None
    other = ideas["recent"][1]
    other.refresh_from_db()
    assert other.phone == "13812345678"
    record = PersonalDataAccess.objects.get()
    assert (record.user, record.action, record.suggestion) == (
        personas["admin"],
        PersonalDataAccess.Action.ERASE,
        idea,
    )


@pytest.mark.parametrize("persona", ["screener_chengqu", "reviewer", "leader"])
def test_only_city_administrators_handle_deletion_requests(ideas, personas, persona):
    idea = ideas["recent"][0]

    with pytest.raises(ErasureRefused):
        suggestion_erase_contact(suggestion_id=idea.pk, user=personas[persona])

    idea.refresh_from_db()
    assert idea.phone == "13812345678"
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_anonymises_through_a_real_worker(units, celery_worker):
    from suggestions.privacy.tasks import anonymise_expired
    from tests.conftest import wait_for

    old = _campaign("old", closed_days_ago=400)
    ideas = SuggestionFactory.create_batch(2, campaign=old, unit=units["城区"])

    anonymise_expired.delay()

    assert wait_for(
        lambda: Suggestion.objects.filter(pk__in=[i.pk for i in ideas], phone="").count() == 2,
        timeout=60,
    )
