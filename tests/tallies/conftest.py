from datetime import timedelta

import pytest
from django.utils import timezone

from suggestions.models import Channel, IdentityType, Status, Suggestion, Topic
from suggestions.screening.workflow import Actor, suggestions_transition
from tests.factories import SuggestionFactory


@pytest.fixture
def settled(settings):
    """Tallies count everything up to the moment they run (no settling margin)."""
    settings.TALLY_SETTLE_SECONDS = 0
    return settings


def make_ideas(
    campaign,
    unit,
    n,
    *,
    channel=Channel.WEB,
    identity=IdentityType.PUBLIC,
    topic=None,
    received_at=None,
):
    topic = topic or Topic.objects.order_by("sort_order").first()
    return [
        SuggestionFactory(
            campaign=campaign,
            unit=unit,
            channel=channel,
            identity_type=identity,
            topic=topic,
            received_at=received_at or timezone.now() - timedelta(minutes=5),
        )
        for _ in range(n)
    ]


def move(ideas, to_status, user, reason="理由"):
    """Change states through the workflow (the only writer of Suggestion.status)."""
    fresh = list(Suggestion.objects.filter(pk__in=[i.pk for i in ideas]))
    result = suggestions_transition(
        suggestions=fresh, to_status=to_status, actor=Actor.of(user), reason=reason
    )
    assert not result.refused, result.refused
    return fresh


__all__ = ["make_ideas", "move", "Status"]
