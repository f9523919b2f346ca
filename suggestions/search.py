"""Search of ideas for the screening desk: by receipt, and by words in Chinese text.

Chinese is written without spaces, so word-based full-text search sees a whole
sentence as one token, and trigram indexes cannot serve two-character words
(旅游). On PostgreSQL we index character bigrams instead: an IMMUTABLE SQL
function suggestion_bigrams(title, content) returns the distinct lower-cased
bigrams of the text, and a GIN index on that expression (migration
"search_bigrams") answers `bigrams @> ARRAY[bigrams of the query]`. Every
bigram of the query present is necessary but not sufficient (the bigrams could
be scattered), so the candidate rows are rechecked with a LIKE on the text.
No column to keep in sync: intake and imports need do nothing.

A one-character query has no bigram and falls back to LIKE (sequential scan);
SQLite (local development) always uses LIKE, which finds two-character words
too, only without an index.
"""

import re

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.db.models import Q

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


def suggestions_search(queryset: models.QuerySet, term: str) -> models.QuerySet:
    """Ideas whose receipt is the term, or whose title or content holds every word of it."""
    term = " ".join(term.split())
    if not term:
        return queryset
    if RECEIPT_RE.match(term):
        return queryset.filter(receipt=term.upper())
    words = term.split()
    text = Q()
    for word in words:
        text &= Q(title__icontains=word) | Q(content__icontains=word)
    grams = query_bigrams(term)
    if connection.vendor == "postgresql" and grams:
        return queryset.alias(_bigrams=SuggestionBigrams()).filter(text, _bigrams__contains=grams)
    return queryset.filter(text)
