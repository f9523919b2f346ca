from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from suggestions.duplicates.index import forget_vectors
from suggestions.models import Campaign
from tests.factories import SuggestionFactory


@pytest.fixture
def make_idea(campaign, units):
    """An idea with the given content, written straight to the database (unchecked)."""

    def make(content, unit="城区", target=None, **extra):
        return SuggestionFactory(
            campaign=target or campaign, unit=units[unit], content=content, **extra
        )

    return make


@pytest.fixture
def other_campaign(db):
    now = timezone.now()
    return Campaign.objects.create(
        name="另一次征集", slug="other", receipt_prefix="OT2022", opens_at=now,
        closes_at=now + timedelta(days=30),
    )  # fmt: skip


@pytest.fixture
def semantic():
    """The semantic stage on (the suite runs with it off, see tests/conftest.py) at a
    cosine of 0.65, where re-worded ideas of the second labelled set are grouped, and no
    vectors cached from another test."""
    forget_vectors()
    with override_settings(DUPLICATES_SEMANTIC=True, DUPLICATES_SEMANTIC_THRESHOLD=0.65):
        yield
    forget_vectors()
