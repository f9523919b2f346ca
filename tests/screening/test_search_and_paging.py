import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suggestions.common.paging import EstimatedCountPaginator
from suggestions.models import Suggestion
from suggestions.screening.search import query_bigrams, suggestions_search

CHANGELIST = "admin:suggestions_suggestion_changelist"


def test_query_bigrams_are_per_word_and_lower_case():
    assert query_bigrams("红色旅游 AB") == ["ab", "旅游", "红色", "色旅"]
    assert query_bigrams("游") == []


def test_two_character_words_and_longer_phrases_are_found(idea_factory):
    tourism = idea_factory(unit="城区", title="关于文旅", content="发展红色旅游，带动增收。")
    scattered = idea_factory(unit="城区", title="关于住宿", content="红色旅馆，旅游旺季涨价。")
    other = idea_factory(unit="城区", title="关于交通", content="增加公交线路。")

    def found(term):
        return set(suggestions_search(Suggestion.objects.all(), term).values_list("pk", flat=True))

    assert found("旅游") == {tourism.pk, scattered.pk}
    # All bigrams of 红色旅游 occur in `scattered`, but not the phrase itself.
    assert found("红色旅游") == {tourism.pk}
    assert found("公交 线路") == {other.pk}
    assert found("交通") == {other.pk}  # in the title
    assert found("游") == {tourism.pk, scattered.pk}  # one character: plain LIKE
    assert found(tourism.receipt.lower()) == {tourism.pk}
    assert found("旅游 涨价") == {scattered.pk}


@pytest.fixture
def small_pages(monkeypatch):
    from suggestions.screening.admin import SuggestionAdmin

    monkeypatch.setattr(SuggestionAdmin, "list_per_page", 2)


def test_changelist_pages_keep_their_order_and_never_count_everything(
    client, personas, idea_factory, small_pages
):
    ideas = [idea_factory(unit="城区") for _ in range(7)]
    client.force_login(personas["reviewer"])

    seen = []
    for page in (1, 2, 3, 4):
        with CaptureQueriesContext(connection) as ctx:
            # "o": "8" sorts on the received column (8th after the checkbox).
            response = client.get(reverse(CHANGELIST), {"p": page, "o": "8"})
        if response.status_code != 200:
            break
        seen += [obj.pk for obj in response.context["cl"].result_list]
        # Counting queries (the rows' own group-size subquery counts one group, not the table).
        counts = [
            q["sql"] for q in ctx.captured_queries if q["sql"].upper().startswith("SELECT COUNT(")
        ]
        if connection.vendor == "postgresql":
            # Only capped counts (a LIMIT inside), never COUNT(*) over the table.
            assert all("LIMIT" in sql.upper() for sql in counts), counts
    assert seen == [i.pk for i in sorted(ideas, key=lambda i: (i.received_at, i.id))]


def test_estimating_paginator_counts_small_results_exactly(idea_factory):
    for _ in range(3):
        idea_factory(unit="城区")
    paginator = EstimatedCountPaginator(Suggestion.objects.order_by("pk"), 2)
    assert paginator.count == 3
    assert [s.pk for s in paginator.page(2).object_list] == [
        Suggestion.objects.order_by("pk").last().pk
    ]


def test_the_desk_says_when_its_count_is_an_estimate(client, personas, idea_factory, monkeypatch):
    for _ in range(5):
        idea_factory(unit="城区")
    monkeypatch.setattr("suggestions.common.paging.EXACT_BELOW", 2)  # 5 ideas count as "many"
    client.force_login(personas["reviewer"])

    page = client.get(reverse(CHANGELIST)).content.decode()

    if connection.vendor == "postgresql":
        assert "约 " in page  # not counted exactly: labelled as an estimate
    else:
        assert "约 " not in page and "5 " in page  # SQLite always counts
