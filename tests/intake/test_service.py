from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from suggestions.intake.services import CampaignClosed, suggestion_submit
from suggestions.models import Campaign, Suggestion

pytestmark = pytest.mark.django_db


def test_a_submission_gets_the_next_receipt_of_its_campaign(submit_kwargs, campaign):
    first = suggestion_submit(**submit_kwargs).suggestion
    second = suggestion_submit(**{**submit_kwargs, "phone": "13900000000"}).suggestion

    assert first.receipt == "JC2021-000001"
    assert second.receipt == "JC2021-000002"
    campaign.refresh_from_db()
    assert campaign.last_sequence == 2


def test_the_same_phone_and_content_within_ten_minutes_returns_the_first_receipt(submit_kwargs):
    first = suggestion_submit(**submit_kwargs)
    # Width, spacing and case of the content do not make it a new idea.
    again = suggestion_submit(
        **{**submit_kwargs, "content": " " + submit_kwargs["content"].replace("，", " ，") + " "}
    )

    assert first.created and not again.created
    assert again.suggestion.receipt == first.suggestion.receipt
    assert Suggestion.objects.count() == 1


def test_the_same_content_after_the_window_is_a_new_submission(submit_kwargs):
    first = suggestion_submit(**submit_kwargs).suggestion
    Suggestion.objects.filter(pk=first.pk).update(
        received_at=timezone.now() - timedelta(minutes=11)
    )

    again = suggestion_submit(**submit_kwargs)

    assert again.created and again.suggestion.receipt != first.receipt


def test_a_closed_campaign_accepts_nothing_and_hands_out_no_number(submit_kwargs, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - timedelta(days=1))
    campaign.refresh_from_db()

    with pytest.raises(CampaignClosed):
        suggestion_submit(**{**submit_kwargs, "campaign": campaign})

    campaign.refresh_from_db()
    assert campaign.last_sequence == 0
    assert not Suggestion.objects.exists()


def test_a_campaign_closed_between_page_load_and_insert_is_caught_by_the_conditional_update(
    submit_kwargs, campaign
):
    stale = Campaign.objects.get(pk=campaign.pk)  # still "open" in memory
    Campaign.objects.filter(pk=campaign.pk).update(is_active=False)

    with pytest.raises(CampaignClosed):
        suggestion_submit(**{**submit_kwargs, "campaign": stale})
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", ""),
        ("content", "短"),
        ("content", "好" * 20_001),
        ("content", "😀" * 40),
        ("content", "建议" * 10 + "\x00"),
        ("title", ""),
        ("title", "标" * 61),
        ("phone", "138123456789"),
        ("phone", "0356-2021234"),
        ("phone", ""),
        ("name", "张\x00三"),
        ("identity_type", "king"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(submit_kwargs, field, value):
    with pytest.raises(ValidationError) as caught:
        suggestion_submit(**{**submit_kwargs, field: value})

    assert field in caught.value.message_dict
    assert not Suggestion.objects.exists()


def test_an_inactive_unit_is_refused(submit_kwargs, units):
    unit = units["城区"]
    unit.is_active = False
    unit.save()

    with pytest.raises(ValidationError) as caught:
        suggestion_submit(**{**submit_kwargs, "unit": unit})
    assert "unit" in caught.value.message_dict


def test_script_tags_are_stored_as_text(submit_kwargs):
    title = "<script>alert(1)</script>"
    suggestion = suggestion_submit(**{**submit_kwargs, "title": title}).suggestion
    assert Suggestion.objects.get(pk=suggestion.pk).title == title
