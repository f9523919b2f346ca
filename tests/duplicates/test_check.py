"""The incremental check, the catch-up and the full rebuild against the database."""

import random

import numpy as np
import pytest
from django.core.management import call_command

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    agrees,
    band_holders,
    group_texts,
    is_sentence_key,
    min_equal,
    signature_bytes,
    signatures_agreeing,
)
from suggestions.duplicates.index import ENTRY_COLUMNS, index_entries, index_keys, index_lookup
from suggestions.duplicates.rebuild import campaign_rebuild_duplicates
from suggestions.duplicates.services import (
    suggestion_check_duplicates,
    suggestions_check_unchecked,
)
from suggestions.models import DuplicateBand, DuplicateSignature, Suggestion
from tests.duplicates.evalset import build_eval_set
from tests.duplicates.evalset_hard import build_hard_set

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"
PARK_EDITED = (
    "尊敬的领导：您好！"
    "建议在老城区增加口袋公园和健身跑道，方便居民就近锻炼，每个街道至少建两处。谢谢！"
)
PARKING = "建议在医院周边建设立体停车场，缓解看病停车难，同时规范路边临时停车泊位。"


def reload(idea):
    return Suggestion.objects.get(pk=idea.pk)


def test_a_lone_idea_represents_itself_and_is_indexed(make_idea):
    idea = make_idea(PARK)
    assert idea.duplicate_of_id is None  # not yet checked

    assert suggestion_check_duplicates(suggestion_id=idea.pk) == idea.pk

    idea = reload(idea)
    assert idea.duplicate_of_id == idea.pk
    assert idea.duplicate_similarity is None
    assert DuplicateSignature.objects.filter(suggestion=idea).exists()
    keys = index_keys(idea.pk)
    sentences = [key for key in keys if is_sentence_key(key)]
    assert len(keys) - len(sentences) == DuplicateConfig().bands
    assert sentences  # the idea's long sentences are indexed too


def test_the_look_up_tells_band_sharers_with_their_signatures_from_sentence_sharers(make_idea):
    first, edited, other = make_idea(PARK), make_idea(PARK_EDITED), make_idea(PARKING)
    for idea in (first, edited, other):
        suggestion_check_duplicates(suggestion_id=idea.pk)
    keys = index_keys(first.pk)
    bands = [key for key in keys if not is_sentence_key(key)]
    sentences = [key for key in keys if is_sentence_key(key)]
    later = max(idea.pk for idea in (first, edited, other)) + 1
    stored = DuplicateSignature.objects.get(suggestion=first)

    found = index_lookup(campaign_id=first.campaign_id, bands=bands, sentences=[], before=later)
    assert first.pk in found.banded and other.pk not in found.banded
    assert bytes(found.signatures[found.banded.index(first.pk)]) == bytes(stored.minhash)
    assert found.sentences == {}
    # How many of the ideas found hold each band key: told by their signatures, the same
    # count as their stored keys give below the cap.
    held = {pk: set(index_keys(pk)) for pk in found.banded}
    counts = band_holders(bands, found.signatures, DuplicateConfig())
    assert counts == {band: sum(band in keys for keys in held.values()) for band in bands}
    assert counts[bands[0]] >= 1 and 0 < min(counts.values()) < len(held)

    found = index_lookup(campaign_id=first.campaign_id, bands=[], sentences=sentences, before=later)
    assert found.banded == [] and found.signatures == []
    assert found.sentences[first.pk] == set(sentences)
    assert other.pk not in found.sentences
    # Only earlier ideas are found.
    found = index_lookup(
        campaign_id=first.campaign_id, bands=bands, sentences=sentences, before=first.pk
    )
    assert found.banded == [] and found.sentences == {}


def test_an_exact_twin_comes_back_alone_from_the_look_up(make_idea):
    first, edited, resent = make_idea(PARK), make_idea(PARK_EDITED), make_idea(PARK + " ")
    for idea in (first, edited):
        suggestion_check_duplicates(suggestion_id=idea.pk)
    stored = DuplicateSignature.objects.get(suggestion=first)
    bands = index_keys(first.pk)

    found = index_lookup(
        campaign_id=first.campaign_id,
        exact_key=stored.exact_key,
        bands=bands,
        sentences=[],
        before=resent.pk,
    )
    # The earliest twin and its group; the ideas sharing keys are not fetched.
    assert found.exact == (first.pk, first.pk)
    assert found.banded == [] and found.sentences == {}
    # Without a twin, the same look-up finds the key sharers.
    found = index_lookup(
        campaign_id=first.campaign_id,
        exact_key=stored.exact_key + 1,
        bands=bands,
        sentences=[],
        before=resent.pk,
    )
    assert found.exact is None and first.pk in found.banded

    assert suggestion_check_duplicates(suggestion_id=resent.pk) == first.pk
    resent = reload(resent)
    assert resent.duplicate_of_id == first.pk and resent.duplicate_similarity == 1.0
    assert index_keys(resent.pk) == []  # a later exact repeat stores no keys


def test_signatures_are_agreed_with_in_one_step_as_one_at_a_time():
    config = DuplicateConfig()
    rng = np.random.default_rng(7)
    mine = rng.integers(0, 2**32, config.num_perm, dtype=np.uint32)
    stored = []
    for equal in range(config.num_perm + 1):  # every count of equal values, both sides of
        other = rng.integers(0, 2**32, config.num_perm, dtype=np.uint32)  # the threshold
        at = rng.choice(config.num_perm, equal, replace=False)
        other[at] = mine[at]
        stored.append(signature_bytes(other))
    for sizes in [(40, 40), (40, 100), (0, 40), (12, 90)]:
        expected = [
            agrees(mine, blob, config, distinct_a=sizes[0], distinct_b=sizes[1]) for blob in stored
        ]
        agreeing = signatures_agreeing(
            mine, stored, config, distinct=sizes[0], others_distinct=[sizes[1]] * len(stored)
        )
        assert agreeing.tolist() == expected
        assert any(expected) and not all(expected)
    assert signatures_agreeing(mine, [], config, distinct=3, others_distinct=[]).tolist() == []


def test_ideas_of_similar_size_must_agree_on_more_than_an_idea_inside_a_letter():
    config = DuplicateConfig()  # 64 values; Jaccard 0.6 or containment 0.8; slack 0.15
    floor = 20  # min_agreement 0.3 of 64, rounded up
    assert min_equal(40, 40, config) == 29  # (0.6 - 0.15) * 64 = 28.8
    assert min_equal(40, 40, config) == min_equal(40, 41, config)
    # Containment 0.8 of an idea inside a letter twice its length is a Jaccard similarity
    # of 0.8 * 0.5 / 1.1 = 0.364: 0.214 after the slack, so the floor applies.
    assert min_equal(40, 80, config) == floor
    assert min_equal(40, 50, config) == 26  # r = 0.8: 0.64 / 1.16 - 0.15 = 0.402 -> 25.7
    assert min_equal(0, 40, config) == floor  # a size not known asks the least
    # Symmetric, and element-wise over arrays as the rebuild calls it.
    assert min_equal(80, 40, config) == min_equal(40, 80, config)
    sizes = np.array([40, 40, 40, 0])
    assert min_equal(sizes, np.array([40, 80, 50, 40]), config).tolist() == [29, 20, 26, 20]
    # Without the containment path, only the Jaccard threshold counts.
    assert min_equal(40, 80, DuplicateConfig(containment=1.01)) == 29


def test_an_exact_resend_joins_the_first_ideas_group(make_idea):
    first = make_idea(PARK)
    resend = make_idea(PARK.replace("，", ", ") + "  ")
    for idea in (first, resend):
        suggestion_check_duplicates(suggestion_id=idea.pk)

    resend = reload(resend)
    assert resend.duplicate_of_id == first.pk
    assert resend.duplicate_similarity == 1.0


def test_an_edited_copy_with_a_greeting_joins_but_a_different_idea_does_not(make_idea):
    first, edited, other = make_idea(PARK), make_idea(PARK_EDITED), make_idea(PARKING)
    for idea in (first, edited, other):
        suggestion_check_duplicates(suggestion_id=idea.pk)

    edited, other = reload(edited), reload(other)
    assert edited.duplicate_of_id == first.pk
    assert 0.6 <= edited.duplicate_similarity < 1.0
    assert other.duplicate_of_id == other.pk


def test_a_third_copy_joins_the_group_of_its_first_idea_not_of_the_copy(make_idea):
    ideas = [make_idea(PARK), make_idea(PARK_EDITED), make_idea(PARK_EDITED + "望采纳")]
    for idea in ideas:
        suggestion_check_duplicates(suggestion_id=idea.pk)
    assert {reload(i).duplicate_of_id for i in ideas} == {ideas[0].pk}


def test_checking_a_later_idea_first_checks_the_earlier_unchecked_ones(make_idea):
    first, copy = make_idea(PARK), make_idea(PARK_EDITED)

    suggestion_check_duplicates(suggestion_id=copy.pk)  # its task ran first

    assert reload(first).duplicate_of_id == first.pk
    assert reload(copy).duplicate_of_id == first.pk


def test_checking_twice_changes_nothing(make_idea):
    first, copy = make_idea(PARK), make_idea(PARK_EDITED)
    suggestion_check_duplicates(suggestion_id=copy.pk)
    entries, rows = index_entries(), DuplicateBand.objects.count()

    assert suggestion_check_duplicates(suggestion_id=copy.pk) == first.pk
    assert index_entries() == entries
    assert DuplicateBand.objects.count() == rows  # the look-up rows (none on PostgreSQL)


def test_ideas_are_only_compared_within_their_campaign(make_idea, other_campaign):
    first = make_idea(PARK)
    elsewhere = make_idea(PARK, target=other_campaign)
    suggestion_check_duplicates(suggestion_id=first.pk)
    suggestion_check_duplicates(suggestion_id=elsewhere.pk)
    assert reload(elsewhere).duplicate_of_id == elsewhere.pk


def test_an_idea_that_no_longer_exists_is_ignored(db):
    assert suggestion_check_duplicates(suggestion_id=987654) is None


def test_the_catch_up_checks_every_idea_still_unchecked(make_idea):
    ideas = [make_idea(PARK), make_idea(PARKING), make_idea(PARK_EDITED)]

    assert suggestions_check_unchecked() == 3
    assert not Suggestion.objects.filter(duplicate_of__isnull=True).exists()
    assert reload(ideas[2]).duplicate_of_id == ideas[0].pk
    assert suggestions_check_unchecked() == 0


@pytest.fixture
def labelled_ideas(make_idea):
    items = build_eval_set(seed=7, originals=110)
    units = ["城区", "泽州县"]
    return items, [make_idea(item["text"], unit=units[i % 2]) for i, item in enumerate(items)]


def _groups_by_position(ideas):
    position = {idea.pk: i for i, idea in enumerate(ideas)}
    reps = dict(Suggestion.objects.filter(pk__in=position).values_list("pk", "duplicate_of_id"))
    return [position[reps[idea.pk]] for idea in ideas]


@pytest.mark.slow
def test_incremental_checks_in_any_order_give_the_same_groups_as_the_rebuild(labelled_ideas):
    items, ideas = labelled_ideas
    order = list(range(len(ideas)))
    random.Random(3).shuffle(order)  # tasks do not run in submission order
    for i in order:
        suggestion_check_duplicates(suggestion_id=ideas[i].pk)
    incremental = _groups_by_position(ideas)
    sims = dict(Suggestion.objects.values_list("pk", "duplicate_similarity"))
    bands = index_entries()

    result = campaign_rebuild_duplicates(campaign=ideas[0].campaign)

    assert _groups_by_position(ideas) == incremental
    assert dict(Suggestion.objects.values_list("pk", "duplicate_similarity")) == sims
    assert index_entries() == bands
    expected = group_texts([item["text"] for item in items], DuplicateConfig())
    assert incremental == expected.representative.tolist()
    assert result.ideas == len(ideas)
    assert result.grouped_ideas == sum(r != i for i, r in enumerate(incremental)) > 20


def test_new_ideas_after_a_rebuild_find_the_rebuilt_index(make_idea, campaign):
    first = make_idea(PARK)
    campaign_rebuild_duplicates(campaign=campaign)
    copy = make_idea(PARK_EDITED)
    suggestion_check_duplicates(suggestion_id=copy.pk)
    assert reload(copy).duplicate_of_id == first.pk


def test_an_idea_arriving_during_a_rebuild_is_checked_against_the_new_index(make_idea, campaign):
    first = make_idea(PARK)
    late = []

    def progress(message):
        # The texts are read; the rebuild is grouping them. A worker checks a new idea
        # against the index the rebuild is about to replace.
        if message.startswith("read ") and not late:
            late.append(make_idea(PARK_EDITED))
            suggestion_check_duplicates(suggestion_id=late[0].pk)

    campaign_rebuild_duplicates(campaign=campaign, progress=progress)

    assert reload(late[0]).duplicate_of_id == first.pk
    assert DuplicateSignature.objects.filter(suggestion=late[0]).exists()
    again = make_idea(PARK_EDITED + "谢谢。")
    suggestion_check_duplicates(suggestion_id=again.pk)
    assert reload(again).duplicate_of_id == first.pk


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_that_rewrote_many_groups_vacuums_the_ideas_table(make_idea, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")
    import suggestions.duplicates.rebuild as rebuild

    monkeypatch.setattr(rebuild, "VACUUM_AFTER", 1)
    first = make_idea(PARK)
    make_idea(PARK_EDITED)
    messages = []

    campaign_rebuild_duplicates(campaign=first.campaign, progress=messages.append)

    assert any("vacuumed" in message for message in messages)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = %s",
            [Suggestion._meta.db_table],
        )
        assert cursor.fetchone() == (True,)
    messages.clear()
    campaign_rebuild_duplicates(campaign=first.campaign, progress=messages.append)
    assert not any("vacuumed" in message for message in messages)  # nothing rewritten


@pytest.mark.django_db(transaction=True)
def test_only_a_check_in_its_own_transaction_commits_without_waiting_for_the_disk(make_idea):
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    seen = []  # synchronous_commit inside the check, read right after it takes the lock

    def after_each(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "pg_advisory_xact_lock" in sql:
            with connection.connection.cursor() as raw:  # not through this wrapper
                raw.execute("SHOW synchronous_commit")
                seen.append(raw.fetchone()[0])
        return result

    def check(idea):
        seen.clear()
        with connection.execute_wrapper(after_each):
            suggestion_check_duplicates(suggestion_id=idea.pk)
        return seen[0]

    assert check(make_idea(PARK)) == "off"
    with transaction.atomic():  # a caller's transaction, with its own writes: left alone
        idea = make_idea(PARK_EDITED)
        assert check(idea) == "on"
    # SET LOCAL: the connection's next transactions (the intake's, say) wait for the disk.
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)
    assert reload(idea).duplicate_of_id is not None


def test_the_find_duplicates_command_shows_progress_and_a_summary(make_idea, campaign, capsys):
    make_idea(PARK), make_idea(PARK_EDITED), make_idea(PARKING)

    call_command("find_duplicates", "--campaign", campaign.slug)

    out = capsys.readouterr().out
    assert "MinHash signatures" in out
    assert "3 ideas -> 2 groups (1 ideas grouped under an earlier one)" in out
    assert "peak memory" in out


@pytest.mark.django_db(transaction=True)
def test_two_workers_checking_at_once_still_group_the_ideas(make_idea):
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs two real connections")
    import threading

    from django.db import connections

    first, copy = make_idea(PARK), make_idea(PARK_EDITED)
    barrier = threading.Barrier(2)
    errors = []

    def check(pk):
        try:
            barrier.wait()
            suggestion_check_duplicates(suggestion_id=pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=check, args=(pk,)) for pk in (copy.pk, first.pk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert reload(first).duplicate_of_id == first.pk
    assert reload(copy).duplicate_of_id == first.pk
    assert DuplicateSignature.objects.count() == 2
    # Each idea indexed once. (This run does not reliably interleave the two workers, so
    # it passes without the advisory lock too; it guards the outcome, not the lock.)
    keys = index_keys(first.pk)
    assert sum(not is_sentence_key(key) for key in keys) == DuplicateConfig().bands
    assert len(keys) == len(set(keys))


def test_on_the_hard_set_the_database_check_and_the_rebuild_agree_with_the_pure_rule(make_idea):
    """Places, contrast terms, asks, containment and sentence keys, through the database."""
    items = build_hard_set()
    ideas = [make_idea(item["text"]) for item in items]
    for idea in ideas:
        suggestion_check_duplicates(suggestion_id=idea.pk)
    incremental = _groups_by_position(ideas)
    bands = index_entries()
    expected = group_texts([item["text"] for item in items], DuplicateConfig())
    assert incremental == expected.representative.tolist()

    campaign_rebuild_duplicates(campaign=ideas[0].campaign)

    assert _groups_by_position(ideas) == incremental
    assert index_entries() == bands
    kinds = {item["kind"]: i for i, item in enumerate(items)}
    other_place = kinds["other_place"]
    assert incremental[other_place] != incremental[items[other_place]["base"]]
    letter = kinds["letter"]
    assert incremental[letter] == incremental[items[letter]["base"]]


def test_the_look_up_rows_mirror_the_key_arrays_where_the_database_uses_them(make_idea):
    """SQLite looks keys up in DuplicateBand; PostgreSQL in the arrays, with no rows."""
    from django.db import connection

    ideas = [make_idea(PARK), make_idea(PARKING), make_idea(PARK_EDITED)]
    suggestions_check_unchecked()
    rows = sorted(DuplicateBand.objects.values_list("suggestion_id", "key"))

    if connection.vendor == "postgresql":
        assert rows == []
    else:
        assert rows == index_entries()
    assert {pk for pk, _key in index_entries()} == {idea.pk for idea in ideas}


def test_a_rebuild_keeps_the_index_of_other_campaigns(make_idea, other_campaign, campaign):
    here = [make_idea(PARK), make_idea(PARK_EDITED)]
    elsewhere = make_idea(PARKING, target=other_campaign)
    suggestions_check_unchecked()
    theirs = index_entries(other_campaign.pk)
    assert theirs and {pk for pk, _key in theirs} == {elsewhere.pk}

    campaign_rebuild_duplicates(campaign=campaign)

    assert index_entries(other_campaign.pk) == theirs
    assert {pk for pk, _key in index_entries(campaign.pk)} == {idea.pk for idea in here}
    assert reload(here[1]).duplicate_of_id == here[0].pk


def _stored_index(campaign_id):
    """Every column of the campaign's index entries, comparable."""
    return sorted(
        (pk, exact, bytes(minhash), grams, list(keys), bytes(vector) if vector else None, flag)
        for pk, exact, minhash, grams, keys, vector, flag in DuplicateSignature.objects.filter(
            campaign_id=campaign_id
        ).values_list("suggestion_id", *ENTRY_COLUMNS)
    )


@pytest.fixture
def rebuilt(make_idea, campaign, monkeypatch):
    """Ideas checked one by one, then rebuilt: the index is as a rebuild writes it. One
    entry of the three to write is few enough to write alone."""
    import suggestions.duplicates.rebuild as rebuild

    monkeypatch.setattr(rebuild, "REWRITE_INDEX_SHARE", 0.5)
    ideas = [make_idea(text) for text in (PARK, PARK_EDITED, PARKING)]
    suggestions_check_unchecked()
    DuplicateSignature.objects.filter(suggestion=ideas[2]).update(vector=bytes(range(256)) * 2)
    campaign_rebuild_duplicates(campaign=campaign)
    return ideas


def _needs_key_arrays():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("entries are compared by digest where keys are stored in arrays")


def test_a_rebuild_with_nothing_changed_rewrites_no_index_entry(rebuilt, campaign):
    _needs_key_arrays()
    before = _stored_index(campaign.pk)

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.index_entries_written == 0
    assert _stored_index(campaign.pk) == before
    assert before[2][5] == bytes(range(256)) * 2  # a stored vector is kept


def test_the_check_writes_each_entry_as_a_rebuild_would(make_idea, campaign):
    _needs_key_arrays()
    ideas = [make_idea(text) for text in (PARK, PARK_EDITED, PARKING, PARK * 2)]
    suggestions_check_unchecked()
    checked = _stored_index(campaign.pk)
    assert all(entry[3] for entry in checked)  # each with its number of 2-grams

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.index_entries_written == 0
    assert _stored_index(campaign.pk) == checked
    assert len(checked) == len(ideas)


@pytest.mark.parametrize(
    "column, wrong",
    [
        ("exact_key", 12345),
        ("minhash", b"\x00" * 256),
        ("distinct_grams", 999),
        ("distinct_grams", None),  # an entry written before the count was kept
        ("keys", [1, 2, 3]),
        ("semantic_match", True),
    ],
)
def test_a_rebuild_rewrites_exactly_the_entries_that_differ(rebuilt, campaign, column, wrong):
    """Every column the rebuild derives takes part in the comparison: a wrong value in any
    is mended. (The vector is not derived: the rebuild keeps the stored one.)"""
    _needs_key_arrays()
    before = _stored_index(campaign.pk)
    DuplicateSignature.objects.filter(suggestion=rebuilt[1]).update(**{column: wrong})
    assert _stored_index(campaign.pk) != before

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.index_entries_written == 1
    assert _stored_index(campaign.pk) == before


def test_an_edited_idea_gets_a_new_entry_and_the_rest_are_kept(rebuilt, campaign):
    _needs_key_arrays()
    Suggestion.objects.filter(pk=rebuilt[2].pk).update(content=PARKING + "另外建议增设充电桩。")
    kept = [row for row in _stored_index(campaign.pk) if row[0] != rebuilt[2].pk]

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert result.index_entries_written == 1
    assert [row for row in _stored_index(campaign.pk) if row[0] != rebuilt[2].pk] == kept
    # What the check of the edited text would store: the rebuild from scratch agrees.
    by_difference = _stored_index(campaign.pk)
    DuplicateSignature.objects.filter(campaign=campaign).delete()
    assert campaign_rebuild_duplicates(campaign=campaign).index_entries_written == 3
    assert [row[:4] for row in _stored_index(campaign.pk)] == [row[:4] for row in by_difference]


def test_a_rebuild_with_many_entries_to_write_rewrites_the_whole_index(
    rebuilt, campaign, monkeypatch
):
    import suggestions.duplicates.rebuild as rebuild

    before = _stored_index(campaign.pk)
    monkeypatch.setattr(rebuild, "REWRITE_INDEX_SHARE", 0.0)
    DuplicateSignature.objects.filter(suggestion=rebuilt[0]).update(exact_key=12345)
    messages = []

    result = campaign_rebuild_duplicates(campaign=campaign, progress=messages.append)

    assert result.index_entries_written == 3
    assert "old index removed" in messages
    assert _stored_index(campaign.pk) == before


def test_an_idea_arriving_during_a_rebuild_that_writes_no_entry_is_checked_again(
    rebuilt, make_idea, campaign
):
    _needs_key_arrays()
    late = []

    def progress(message):
        if message.startswith("read ") and not late:
            late.append(make_idea(PARK_EDITED + "谢谢。"))
            suggestion_check_duplicates(suggestion_id=late[0].pk)

    result = campaign_rebuild_duplicates(campaign=campaign, progress=progress)

    assert result.index_entries_written == 0
    assert reload(late[0]).duplicate_of_id == rebuilt[0].pk
    assert DuplicateSignature.objects.filter(suggestion=late[0]).exists()


def test_a_campaign_without_ideas_rebuilds_to_nothing(campaign, make_idea, other_campaign):
    make_idea(PARK, target=other_campaign)  # another campaign's ideas are not read

    result = campaign_rebuild_duplicates(campaign=campaign)

    assert (result.ideas, result.groups, result.index_entries_written) == (0, 0, 0)
    assert not DuplicateSignature.objects.filter(campaign=campaign).exists()


@pytest.fixture
def crowded_bands(monkeypatch):
    """The portal's rule with a band key cap of 2: on a small set, many keys are crowded."""
    from dataclasses import replace

    import suggestions.duplicates.services as services

    original = services._config
    monkeypatch.setattr(services, "_config", lambda *args: replace(original(*args), band_key_cap=2))
    return replace(DuplicateConfig(), band_key_cap=2)


def test_with_crowded_band_keys_the_check_stores_and_groups_as_the_rebuild(
    make_idea, campaign, crowded_bands
):
    items = build_eval_set(seed=11, originals=60)
    ideas = [make_idea(item["text"]) for item in items]
    suggestions_check_unchecked()
    incremental = _groups_by_position(ideas)
    checked = index_entries(campaign.pk)
    position = {idea.pk: i for i, idea in enumerate(ideas)}
    bands = [(pk, key) for pk, key in checked if not is_sentence_key(key)]
    per_key = np.unique([key for _pk, key in bands], return_counts=True)[1]
    assert per_key.max() == 2  # the cap bit, and no key has more holders than it allows

    expected = group_texts([item["text"] for item in items], crowded_bands)
    assert incremental == expected.representative.tolist()
    stored = sorted(
        (int(doc), int(expected.band_keys[doc, band]))
        for doc, band in zip(*np.nonzero(expected.band_stored), strict=True)
    )
    assert sorted((position[pk], key) for pk, key in bands) == stored

    campaign_rebuild_duplicates(campaign=campaign)

    assert _groups_by_position(ideas) == incremental
    assert index_entries(campaign.pk) == checked
