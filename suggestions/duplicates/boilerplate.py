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
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from suggestions.duplicates.algorithm import (
    CODE_BASE,
    boilerplate_threshold,
    count_bigrams,
    count_sentences,
    sentence_texts,
)
from suggestions.duplicates.services import (
    comparable_text,
    duplicate_checks_lock,
    duplicate_config,
)
from suggestions.models import BoilerplateKind, Campaign, DuplicateBoilerplate, Suggestion

_CHUNK = 20_000


@dataclass
class BoilerplateResult:
    ideas: int  # ideas read
    distinct: int  # distinct normalised texts (an exact repeat counts once)
    threshold: int  # distinct ideas a sentence needed
    # The learned sentences (normalised) and how many distinct ideas hold each, most first.
    sentences: list[tuple[str, int]] = field(default_factory=list)
    # 2-grams used by at least common_threshold distinct ideas, most used first: they weigh
    # as common campaign words from now on.
    bigrams: list[tuple[str, int]] = field(default_factory=list)
    common_threshold: int = 0
    added: int = 0  # sentences or 2-grams not in the list before
    removed: int = 0  # sentences or 2-grams of the list before that are gone
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
    # 2-grams are counted on the texts without the sentences just learned: a template's
    # lines are out of the comparison already, its phrases around the slots are not.
    without = replace(config, boilerplate=frozenset(sentence for _key, sentence, _count in learned))
    distinct, used = count_bigrams(_texts(campaign), without)
    common_threshold = boilerplate_threshold(
        distinct, settings.DUPLICATES_BOILERPLATE_MIN_IDEAS, settings.DUPLICATES_COMMON_SHARE
    )
    frequent = sorted(
        ((code, count) for code, count in used.items() if count >= common_threshold),
        key=lambda row: (-row[1], row[0]),
    )
    before = set(DuplicateBoilerplate.objects.filter(campaign=campaign).values_list("kind", "key"))
    now_learned = {(BoilerplateKind.SENTENCE.value, key) for key in keys} | {
        (BoilerplateKind.BIGRAM.value, code) for code, _count in frequent
    }
    result = BoilerplateResult(
        ideas=counts.ideas,
        distinct=counts.distinct,
        threshold=threshold,
        sentences=[(sentence, count) for _key, sentence, count in learned],
        bigrams=[(_bigram_text(code), count) for code, count in frequent],
        common_threshold=common_threshold,
        added=len(now_learned - before),
        removed=len(before - now_learned),
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
                ]
                + [
                    DuplicateBoilerplate(
                        campaign=campaign,
                        kind=BoilerplateKind.BIGRAM,
                        key=code,
                        sentence=_bigram_text(code),
                        holders=count,
                        learned_at=now,
                    )
                    for code, count in frequent
                ],
                batch_size=1000,
            )
        result.stored = True
    return result


def _bigram_text(code: int) -> str:
    return chr(code // CODE_BASE) + chr(code % CODE_BASE)


def _texts(campaign: Campaign) -> Iterator[str]:
    """The campaign's compared texts, streamed in id order."""
    rows = (
        Suggestion.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list("content", flat=True)
    )
    for content in rows.iterator(chunk_size=_CHUNK):
        yield comparable_text(content)
