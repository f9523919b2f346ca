"""Public showcase of excellent ideas: selectors with a short cache.

Only ideas marked excellent whose submitters opted in (publish_consent), and only
after the campaign's administrators publish results; never a name or a phone
(the query reads only the public columns).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Case, CharField, F, Value, When

from suggestions.models import Campaign, ImplementationStatus, Status, Suggestion
from suggestions.tallies.aggregation import campaign_totals

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from units.models import Unit

PAGE_SIZE = 20
PUBLIC_FIELDS = ("pk", "title", "content", "unit__name", "topic__name", "received_at")


def showcase_ideas(
    *, campaign: Campaign, unit: Unit | None = None, topic_id: int | None = None
) -> QuerySet[Suggestion, dict[str, Any]]:
    ideas = Suggestion.objects.filter(
        campaign=campaign, status=Status.EXCELLENT, publish_consent=True
    )
    if unit is not None:
        ideas = ideas.filter(unit__path__startswith=unit.path)
    if topic_id is not None:
        ideas = ideas.filter(topic_id=topic_id)
    # 大家干: the adoption state and the approved public reply (never who approved it).
    ideas = ideas.annotate(
        public_reply=Case(
            When(implementation__reply_public=True, then=F("implementation__reply_text")),
            default=Value(""),
            output_field=CharField(),
        )
    )
    return ideas.order_by("-score_mean", "-received_at", "-pk").values(
        *PUBLIC_FIELDS, "implementation__status", "implementation__percent", "public_reply"
    )


def _implementation_label(idea: dict) -> dict:
    state = idea.pop("implementation__status", None)
    decided = state not in (None, ImplementationStatus.PENDING)
    idea["implementation_label"] = str(ImplementationStatus(state).label) if decided else ""
    return idea


def showcase_page(
    *, campaign: Campaign, unit: Unit | None = None, topic_id: int | None = None, page: int = 1
) -> dict[str, Any] | None:
    """(totals, ideas of the page, page count): cached briefly; nothing before publication."""
    if not campaign.results_published:
        return None
    key = f"showcase:{campaign.pk}:{unit.pk if unit else '-'}:{topic_id or '-'}:{page}"
    cached = cache.get(key)
    if cached is None:
        paginator = Paginator(
            showcase_ideas(campaign=campaign, unit=unit, topic_id=topic_id), PAGE_SIZE
        )
        current = paginator.get_page(page)
        totals = campaign_totals(campaign=campaign)
        cached = {
            "totals": totals,
            "ideas": [_implementation_label(idea) for idea in current.object_list],
            "page": current.number,
            "pages": paginator.num_pages,
            "count": paginator.count,
        }
        cache.set(key, cached, settings.SHOWCASE_CACHE_SECONDS)
    return cached
