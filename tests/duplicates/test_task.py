"""The check runs in a real Celery worker after the commit; the catch-up finds lost ones."""

import pytest
from django.db import transaction

from suggestions.models import Suggestion
from suggestions.tasks import duplicates_catch_up, queue_duplicate_check
from tests.conftest import wait_for
from tests.factories import SuggestionFactory

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"


@pytest.mark.services
def test_a_queued_check_runs_in_the_worker_after_commit(celery_worker, campaign, units):
    with transaction.atomic():
        first = SuggestionFactory(campaign=campaign, unit=units["城区"], content=PARK)
        copy = SuggestionFactory(campaign=campaign, unit=units["城区"], content=PARK + "谢谢！")
        queue_duplicate_check(first.pk)
        queue_duplicate_check(copy.pk)

    def grouped():
        return Suggestion.objects.filter(pk=copy.pk, duplicate_of_id=first.pk).exists()

    assert wait_for(grouped, timeout=60)


def test_the_catch_up_task_checks_ideas_whose_task_never_ran(campaign, units):
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"], content=PARK)

    assert duplicates_catch_up() == 1  # run in-process: it is a plain function call too
    assert Suggestion.objects.get(pk=idea.pk).duplicate_of_id == idea.pk
