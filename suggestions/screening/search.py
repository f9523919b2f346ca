"""Search of ideas for the screening desk: by receipt, and by words in Chinese text.

Chinese is written without spaces, so word-based full-text search sees a whole
sentence as one token, and trigram indexes cannot serve two-character words
(旅游). On PostgreSQL we index character bigrams instead: an IMMUTABLE SQL
function suggestion_bigrams(title, content) returns the distinct lower-cased
bigrams of the text, and a GIN index on that expression (migration
"search_bigrams") answers `bigrams @> ARRAY[bigrams of the query]`. For a
two-character word that is exact. For longer words every bigram present is
necessary but not sufficient (they could be scattered), so candidates are
rechecked with strpos() on the text. strpos, not LIKE: the planner guesses a
LIKE '%…%' matches almost nothing, which made it pick a bitmap scan + sort of
hundreds of thousands of rows for common words, and made the paginator count
them exactly; strpos() > 0 gets a neutral guess and a LIMIT-friendly plan
(measured in bench/screening.py). No column to keep in sync: intake and imports
need do nothing.

A one-character query has no bigram and falls back to LIKE (sequential scan);
SQLite (local development) always uses LIKE, which finds two-character words
too, only without an index.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower, StrIndex

if TYPE_CHECKING:
    from suggestions.models import Suggestion

RECEIPT_RE = re.compile(r"^[A-Za-z]{1,12}\d*-\d{1,9}$")


class SuggestionBigrams(models.Func):
    """suggestion_bigrams(title, content): must match the indexed expression exactly."""

    function = "suggestion_bigrams"
    output_field = ArrayField(models.TextField())

    def __init__(self):
        super().__init__(models.F("title"), models.F("content"))


def query_bigrams(term: str) -> list[str]:
    """The bigrams of each whitespace-separated word of the query, as the index stores them."""
    grams = set()
    for word in term.lower().split():
        grams.update(word[i : i + 2] for i in range(len(word) - 1))
    return sorted(grams)


def suggestions_search(
    queryset: models.QuerySet[Suggestion], term: str
) -> models.QuerySet[Suggestion]:
    """Ideas whose receipt is the term, or whose title or content holds every word of it."""
    term = " ".join(term.split())
    if not term:
        return queryset
    if RECEIPT_RE.match(term):
        return queryset.filter(receipt=term.upper())
    words = term.split()
    grams = query_bigrams(term)
    if connection.vendor != "postgresql" or not grams or any(len(w) < 2 for w in words):
        text = Q()
        for word in words:
            text &= Q(title__icontains=word) | Q(content__icontains=word)
        return queryset.filter(text)
    queryset = queryset.alias(_bigrams=SuggestionBigrams()).filter(_bigrams__contains=grams)
    longer = [w.lower() for w in words if len(w) > 2]
    if longer:
        text = Lower(Concat("title", Value(" "), "content", output_field=models.TextField()))
        for i, word in enumerate(longer):
            queryset = queryset.alias(**{f"_at{i}": StrIndex(text, Value(word))}).filter(
                **{f"_at{i}__gt": 0}
            )
    return queryset
