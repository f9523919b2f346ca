"""Learning a campaign's boilerplate: sentences so many of its ideas share that they say
nothing about any of them (a form's printed lines, a template's fixed lines, a standard
opening pasted by many). The grouping takes them out of every idea before comparing
(suggestions.duplicates.algorithm.compared_sentences; docs/duplicates.md, "Boilerplate").

Learning replaces the campaign's whole list. New checks use it at once; groups made before
follow it only after a rebuild (``campaign_learn_boilerplate`` does not rebuild; the
command ``learn_duplicate_boilerplate`` does when the list changed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from suggestions.duplicates.algorithm import (
    boilerplate_threshold,
    count_sentences,
    sentence_texts,
)
from suggestions.duplicates.services import (
    comparable_text,
    duplicate_checks_lock,
    duplicate_config,
)
from suggestions.models import Campaign, DuplicateBoilerplate, Suggestion

_CHUNK = 20_000


@dataclass
class BoilerplateResult:
    ideas: int  # ideas read
    distinct: int  # distinct normalised texts (an exact repeat counts once)
    threshold: int  # distinct ideas a sentence needed
    # The learned sentences (normalised) and how many distinct ideas hold each, most first.
    sentences: list[tuple[str, int]] = field(default_factory=list)
    added: int = 0  # sentences not in the list before
    removed: int = 0  # sentences of the list before that are gone
    stored: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def campaign_learn_boilerplate(
    *,
    campaign: Campaign,
    store: bool = True,
    progress: Callable[[int], None] | None = None,
) -> BoilerplateResult:
    """Count each sentence of the campaign's ideas by the distinct ideas holding it and keep
    as boilerplate those held by at least the threshold (``boilerplate_threshold`` with
    DUPLICATES_BOILERPLATE_MIN_IDEAS and DUPLICATES_BOILERPLATE_SHARE). With ``store``, the
    campaign's list is replaced by them; groups are not touched. ``progress`` is called
    with the number of ideas read since its last call.
    """
    config = duplicate_config()  # the settings' rule, without any learned list
    counts = count_sentences(_texts(campaign), config, progress)
    threshold = boilerplate_threshold(
        counts.distinct,
        settings.DUPLICATES_BOILERPLATE_MIN_IDEAS,
        settings.DUPLICATES_BOILERPLATE_SHARE,
    )
    chosen = counts.holders >= threshold
    keys = counts.keys[chosen].tolist()
    holders = counts.holders[chosen].tolist()
    texts = sentence_texts(_texts(campaign), keys, config) if keys else {}
    learned = sorted(
        ((key, texts[key], count) for key, count in zip(keys, holders, strict=True)),
        key=lambda row: (-row[2], row[1]),
    )
    before = set(
        DuplicateBoilerplate.objects.filter(campaign=campaign).values_list("key", flat=True)
    )
    result = BoilerplateResult(
        ideas=counts.ideas,
        distinct=counts.distinct,
        threshold=threshold,
        sentences=[(sentence, count) for _key, sentence, count in learned],
        added=len(set(keys) - before),
        removed=len(before - set(keys)),
    )
    if store:
        now = timezone.now()
        with transaction.atomic():
            # Checks of the campaign read the list at their start: none runs meanwhile.
            duplicate_checks_lock(campaign.pk)
            DuplicateBoilerplate.objects.filter(campaign=campaign).delete()
            DuplicateBoilerplate.objects.bulk_create(
                [
                    DuplicateBoilerplate(
                        campaign=campaign, key=key, sentence=sentence, holders=count, learned_at=now
                    )
                    for key, sentence, count in learned
                ],
                batch_size=1000,
            )
        result.stored = True
    return result


def _texts(campaign: Campaign) -> Iterator[str]:
    """The campaign's compared texts, streamed in id order."""
    rows = (
        Suggestion.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("content", flat=True)
    )
    for content in rows.iterator(chunk_size=_CHUNK):
        yield comparable_text(content)
