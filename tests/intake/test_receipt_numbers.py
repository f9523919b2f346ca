"""Receipt numbers reserved in blocks per process (suggestions.intake.services._sequence_next).

Transactional: the block path runs only outside a transaction, as in a real request.
"""

import pytest
from django.db import transaction
from django.test import override_settings

from suggestions.intake.services import CampaignClosed, campaign_cache_clear, suggestion_submit
from suggestions.models import Campaign, Suggestion

pytestmark = pytest.mark.django_db(transaction=True)


def submit(submit_kwargs, n: int, **overrides):
    return suggestion_submit(**{**submit_kwargs, "phone": f"1390000{n:04d}", **overrides})


@override_settings(INTAKE_RECEIPT_BLOCK=5)
def test_a_process_hands_out_its_reserved_numbers_in_order(submit_kwargs, campaign):
    receipts = [submit(submit_kwargs, n).suggestion.receipt for n in range(7)]

    assert receipts == [f"JC2021-{n:06d}" for n in range(1, 8)]
    # Two blocks of five reserved with two UPDATEs, not seven.
    assert Campaign.objects.get(pk=campaign.pk).last_sequence == 10


@override_settings(INTAKE_RECEIPT_BLOCK=5)
def test_another_process_never_reuses_numbers_reserved_before_it(submit_kwargs, campaign):
    first = submit(submit_kwargs, 1).suggestion.receipt
    campaign_cache_clear()  # what a second (or restarted) process starts with
    second = submit(submit_kwargs, 2).suggestion.receipt

    assert (first, second) == ("JC2021-000001", "JC2021-000006")  # 2…5 skipped, never reused
    assert Suggestion.objects.values("receipt").distinct().count() == 2


@override_settings(INTAKE_RECEIPT_BLOCK=5)
def test_a_campaign_closed_while_a_process_still_holds_numbers_accepts_nothing(
    submit_kwargs, campaign
):
    submit(submit_kwargs, 1)
    Campaign.objects.filter(pk=campaign.pk).update(is_active=False)

    with pytest.raises(CampaignClosed):
        submit(submit_kwargs, 2)
    assert Suggestion.objects.count() == 1


def test_inside_a_transaction_that_rolls_back_no_number_is_handed_out(submit_kwargs, campaign):
    # The paper import's path: numbers reserved in the caller's transaction.
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(submit_kwargs, 1)
        raise RuntimeError("the import failed")

    assert Campaign.objects.get(pk=campaign.pk).last_sequence == 0
    assert submit(submit_kwargs, 2).suggestion.receipt == "JC2021-000001"
