"""The check runs in a real Celery worker after the commit; the catch-up finds lost ones."""

import pytest
from django.db import transaction

from suggestions.intake.services import suggestion_received_queue
from suggestions.intake.tasks import suggestions_received_catch_up
from suggestions.models import Suggestion
from tests.conftest import wait_for
from tests.factories import SuggestionFactory

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"


@pytest.mark.slow
@pytest.mark.services
def test_a_queued_check_runs_in_the_worker_after_commit(celery_worker, campaign, units):
    with transaction.atomic():
        first = SuggestionFactory(campaign=campaign, unit=units["城区"], content=PARK)
        copy = SuggestionFactory(campaign=campaign, unit=units["城区"], content=PARK + "谢谢！")
        transaction.on_commit(lambda: suggestion_received_queue(suggestion_id=first.pk))
        transaction.on_commit(lambda: suggestion_received_queue(suggestion_id=copy.pk))

    def grouped():
        return Suggestion.objects.filter(pk=copy.pk, duplicate_of_id=first.pk).exists()

    assert wait_for(grouped, timeout=60)


@pytest.mark.slow
@pytest.mark.services
def test_the_catch_up_checks_ideas_whose_task_never_ran(celery_worker, campaign, units):
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"], content=PARK)

    assert suggestions_received_catch_up(older_than_seconds=0) == 1

    assert wait_for(
        lambda: Suggestion.objects.filter(pk=idea.pk, duplicate_of_id=idea.pk).exists(), timeout=60
    )
