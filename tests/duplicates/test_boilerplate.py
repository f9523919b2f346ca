"""Campaign-learned boilerplate: learning it, and both paths leaving it out alike."""

import random

import pytest
from django.core.management import call_command
from django.test import override_settings

from suggestions.duplicates.algorithm import (
    CODE_BASE,
    DuplicateConfig,
    MemoryIndex,
    compared_sentences,
    count_bigrams,
    count_sentences,
    exact_key,
    group_texts,
    learn_boilerplate,
    normalised_sentences,
    sentence_keys,
)
from suggestions.duplicates.boilerplate import campaign_learn_boilerplate
from suggestions.duplicates.index import index_entries
from suggestions.duplicates.rebuild import campaign_rebuild_duplicates
from suggestions.duplicates.services import (
    duplicate_config,
    suggestion_check_duplicates,
    suggestions_check_unchecked,
)
from suggestions.models import BoilerplateKind, DuplicateBoilerplate, Suggestion
from tests.duplicates.evalset_hard import build_hard_set

# A WeChat template's fixed lines: long, and asking for nothing.
BEFORE = (
    "【金点子征集】微信公众号留言模板第三版。本留言由市民通过手机端填写后自动生成。"
    "留言人已阅读并同意平台的隐私保护说明。感谢您对我市经济社会发展的关心和支持。"
    "每一条留言都会有专人阅读并登记在册。以下为留言人填写的具体内容。"
)
AFTER = (
    "本条留言将转交相关单位研究办理。办理进度可在公众号的个人中心查询。"
    "如需补充材料可直接回复本条消息。"
)
TEMPLATE_LINES = 9  # its sentences of at least 8 characters
# Two different ideas that ask for nothing with an ask word (the ask check cannot help).
LIGHTS = "小区门口的路灯坏了三个多月，晚上老人出门散步看不清台阶，已经有人摔倒过。"
LIGHTS_AGAIN = "小区门口的路灯坏了三个月，晚上老人出门散步看不清台阶，已经有人摔倒过。"
NOISE = "菜市场早上四点就开始装卸货物，喇叭声和吆喝声很大，周边住户根本睡不好觉。"
# More ideas for the template to be learned from (different topics, no ask words).
OTHERS = [
    "公园里的健身器材生锈松动，孩子们在上面玩很不安全。",
    "楼道里堆满了杂物和电动车，一旦着火人都跑不出去。",
    "学校门口的早餐摊没有卫生许可，油烟和垃圾到处都是。",
    "小区的快递柜总是满的，包裹只能放在门卫室的地上。",
    "河边的步道晚上没有一盏灯，散步的人只能打手电筒。",
]


def wrap(text):
    return BEFORE + text + AFTER


def template_set():
    return frozenset(
        s
        for s in normalised_sentences(BEFORE + AFTER)
        if len(s) >= DuplicateConfig().sentence_min_chars
    )


# ------------------------------------------------------------------ the rule, no database


def test_different_ideas_in_one_template_are_grouped_until_the_template_is_learned():
    texts = [wrap(LIGHTS), wrap(NOISE), wrap(LIGHTS_AGAIN)]
    assert len(template_set()) == TEMPLATE_LINES

    without = group_texts(texts, DuplicateConfig()).representative.tolist()
    with_it = group_texts(texts, DuplicateConfig(boilerplate=template_set()))

    assert without == [0, 0, 0]  # the template makes them look alike
    assert with_it.representative.tolist() == [0, 1, 0]  # the real resend still joins
    index = MemoryIndex(DuplicateConfig(boilerplate=template_set()))
    assert [index.add(text) for text in texts] == [0, 1, 0]


def test_the_exact_key_still_covers_the_whole_text():
    config = DuplicateConfig(boilerplate=template_set())
    texts = [wrap(LIGHTS), wrap(LIGHTS) + "  ", LIGHTS]
    grouping = group_texts(texts, config)
    assert grouping.exact_keys[0] == grouping.exact_keys[1] != grouping.exact_keys[2]
    assert grouping.exact_keys[0] == exact_key("".join(normalised_sentences(wrap(LIGHTS))))
    # The bare idea and the templated one compare the same text: similarity 1, not exact.
    assert grouping.representative.tolist() == [0, 0, 0]
    assert grouping.similarity[1] == grouping.similarity[2] == 1.0


def test_boilerplate_sentences_get_no_sentence_key():
    sentences = normalised_sentences(wrap(LIGHTS))
    plain = sentence_keys(sentences, DuplicateConfig())
    learned = sentence_keys(sentences, DuplicateConfig(boilerplate=template_set()))
    assert len(plain) - len(learned) == TEMPLATE_LINES
    assert learned == sentence_keys(normalised_sentences(LIGHTS), DuplicateConfig())


def test_an_idea_made_only_of_boilerplate_keeps_its_whole_text():
    config = DuplicateConfig(boilerplate=template_set())
    only = normalised_sentences(BEFORE + AFTER)
    assert compared_sentences(only, config) == only
    # Sent with nothing filled in, twice with one line cut: still alike, still grouped;
    # an emptied text would match nothing.
    cut = BEFORE + "本条留言将转交相关单位研究办理。办理进度可在公众号的个人中心查询。"
    reps = group_texts([BEFORE + AFTER, cut, wrap(LIGHTS)], config).representative.tolist()
    assert reps == [0, 0, 2]


def test_places_named_only_in_boilerplate_are_not_the_ideas_places():
    frame = "本留言来自高平市政务服务中心的自助终端。"
    config = DuplicateConfig(boilerplate=frozenset(normalised_sentences(frame)))
    a, b = frame + LIGHTS, "在阳城县" + LIGHTS
    # Without the list, 高平市 and 阳城县 keep the two apart; with it, only 阳城县 is named.
    assert group_texts([a, b], DuplicateConfig()).representative.tolist() == [0, 1]
    assert group_texts([a, b], config).representative.tolist() == [0, 0]


def test_learning_counts_distinct_ideas_and_respects_the_threshold():
    config = DuplicateConfig()
    popular = "这条句子只出现在一条被反复提交的意见里面。"
    texts = [wrap(text) for text in OTHERS] + [popular + LIGHTS] * 30
    counts = count_sentences(texts, config)
    assert (counts.ideas, counts.distinct) == (35, 6)

    learned = learn_boilerplate(texts, config, min_ideas=5)
    assert set(learned) == template_set()  # the resent idea's sentences count once
    assert set(learned.values()) == {5}
    assert learn_boilerplate(texts, config, min_ideas=6) == {}
    # The share applies as well: 5 of 6 distinct ideas is less than 90 %.
    assert learn_boilerplate(texts, config, min_ideas=2, share=0.9) == {}


def test_learning_ignores_short_sentences_and_sentences_that_ask():
    texts = [
        f"意见如下。{text}建议有关部门尽快处理这个问题。我是一名普通市民，长期关注我市发展。"
        for text in OTHERS
    ]
    learned = learn_boilerplate(texts, DuplicateConfig(), min_ideas=5)
    # 意见如下 is short, the 建议 sentence asks; the standard opening is boilerplate.
    assert set(learned) == {"我是一名普通市民长期关注我市发展"}


def test_on_the_template_set_both_paths_agree_with_learned_boilerplate():
    items = build_hard_set(templates=True)
    texts = [item["text"] for item in items]
    config = DuplicateConfig(boilerplate=frozenset(learn_boilerplate(texts, DuplicateConfig())))
    assert config.boilerplate
    grouping = group_texts(texts, config)
    index = MemoryIndex(config)
    for text in texts:
        index.add(text)
    assert index.representative == grouping.representative.tolist()
    rows = zip(grouping.proposals.tolist(), grouping.proposal_scores.tolist(), strict=True)
    assert index.proposals == [(*row, score) for row, score in rows]


# ------------------------------------------------------------------ through the database


def reload(idea):
    return Suggestion.objects.get(pk=idea.pk)


@pytest.fixture
def templated(make_idea):
    """Ideas in the template: two different ideas, a resend, and five more."""
    return [make_idea(wrap(text)) for text in [LIGHTS, NOISE, LIGHTS_AGAIN, *OTHERS]]


@override_settings(DUPLICATES_BOILERPLATE_MIN_IDEAS=5)
def test_learning_stores_the_campaigns_boilerplate(templated, make_idea, campaign):
    make_idea(wrap(LIGHTS))  # an exact resend: counts once

    result = campaign_learn_boilerplate(campaign=campaign)

    assert (result.ideas, result.distinct, result.threshold) == (9, 8, 5)
    assert (result.added, result.removed, result.changed) == (TEMPLATE_LINES, 0, True)
    stored = DuplicateBoilerplate.objects.filter(campaign=campaign)
    assert set(stored.values_list("sentence", flat=True)) == template_set()
    assert set(stored.values_list("holders", flat=True)) == {8}
    assert duplicate_config(campaign.pk).boilerplate == template_set()
    assert not duplicate_config().boilerplate  # without a campaign: the settings only

    again = campaign_learn_boilerplate(campaign=campaign)
    assert (again.added, again.removed, again.changed) == (0, 0, False)


@override_settings(DUPLICATES_BOILERPLATE_MIN_IDEAS=5)
def test_a_check_sees_a_newly_learned_list_without_a_restart(templated, make_idea, campaign):
    suggestions_check_unchecked()
    assert reload(templated[1]).duplicate_of_id == templated[0].pk  # the template won
    assert not duplicate_config(campaign.pk).boilerplate

    campaign_learn_boilerplate(campaign=campaign)
    late = make_idea(wrap("车站广场的公共厕所晚上九点就锁门，夜里到站的旅客没处方便。"))
    suggestion_check_duplicates(suggestion_id=late.pk)

    # Another different idea in the template: before the list it would have joined the
    # template's group, as NOISE did; now it is compared without the template.
    assert reload(late).duplicate_of_id == late.pk
    assert reload(templated[1]).duplicate_of_id == templated[0].pk  # until the rebuild
    campaign_rebuild_duplicates(campaign=campaign)
    assert reload(templated[1]).duplicate_of_id == templated[1].pk
    assert reload(templated[2]).duplicate_of_id == templated[0].pk  # the resend
    assert reload(late).duplicate_of_id == late.pk


@pytest.mark.slow
def test_with_boilerplate_checks_in_any_order_agree_with_the_rebuild(make_idea, campaign):
    items = build_hard_set(templates=True)
    texts = [item["text"] for item in items]
    ideas = [make_idea(text) for text in texts]
    with override_settings(DUPLICATES_BOILERPLATE_MIN_IDEAS=20):
        result = campaign_learn_boilerplate(campaign=campaign)
    learned = frozenset(sentence for sentence, _holders in result.sentences)
    assert learned == frozenset(learn_boilerplate(texts, DuplicateConfig()))
    order = list(range(len(ideas)))
    random.Random(5).shuffle(order)
    for i in order:
        suggestion_check_duplicates(suggestion_id=ideas[i].pk)
    position = {idea.pk: i for i, idea in enumerate(ideas)}

    def groups():
        reps = dict(Suggestion.objects.values_list("pk", "duplicate_of_id"))
        return [position[reps[idea.pk]] for idea in ideas]

    incremental, entries = groups(), index_entries()
    expected = group_texts(texts, DuplicateConfig(boilerplate=learned)).representative.tolist()
    assert incremental == expected
    assert expected != group_texts(texts, DuplicateConfig()).representative.tolist()

    campaign_rebuild_duplicates(campaign=campaign)

    assert groups() == incremental
    assert index_entries() == entries


@override_settings(DUPLICATES_BOILERPLATE_MIN_IDEAS=5)
def test_the_command_shows_the_list_and_rebuilds_when_it_changed(templated, campaign, capsys):
    suggestions_check_unchecked()

    call_command("learn_duplicate_boilerplate", "--campaign", campaign.slug, "--dry-run")
    out = capsys.readouterr().out
    assert "8 ideas, 8 distinct texts; a sentence is boilerplate when at least 5" in out
    assert "       8  以下为留言人填写的具体内容" in out
    assert (
        f"{TEMPLATE_LINES} boilerplate sentences and 0 common 2-grams ({TEMPLATE_LINES} new, 0 no"
        in out
    )
    assert "nothing stored (--dry-run)" in out
    assert not DuplicateBoilerplate.objects.exists()

    call_command("learn_duplicate_boilerplate", "--campaign", campaign.slug, "--no-rebuild")
    out = capsys.readouterr().out
    assert "stored; new checks use them." in out
    assert f"find_duplicates --campaign {campaign.slug}" in out
    assert reload(templated[1]).duplicate_of_id == templated[0].pk  # not rebuilt

    DuplicateBoilerplate.objects.all().delete()
    call_command("learn_duplicate_boilerplate", "--campaign", campaign.slug)
    out = capsys.readouterr().out
    assert "The list changed: rebuilding the groups with it." in out
    assert "8 ideas -> 7 groups (1 ideas grouped under an earlier one)" in out
    assert reload(templated[1]).duplicate_of_id == templated[1].pk

    call_command("learn_duplicate_boilerplate", "--campaign", campaign.slug)
    assert "The list did not change: the groups need no rebuild." in capsys.readouterr().out


# ------------------------------------------------------- learned common 2-grams (phrases)

# A generator's template around slots: no line is shared whole, so no sentence is learned,
# but its phrases are in every idea (the demo simulator writes ideas this way).
PHRASES = (
    "目前{place}的{topic}还有短板，现状存在不足。建议建立长效机制并定期评估，"
    "建议分步实施、先行试点，力争把{goal}做成晋城的亮点。"
)
PLACES = ["泽州路", "社区", "太行山区", "高铁站周边", "乡村", "开发区", "老城区", "红星街"]
TOPICS = ["雨污分流", "乡村振兴", "停车管理", "营商环境", "古建筑保护", "人才引进", "养老服务"]
GOALS = ["口袋公园", "智慧城市", "全域旅游", "健身步道", "农产品品牌", "夜间经济"]


def phrase_texts(count=120, seed=7):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        if texts and rng.random() < 0.2:
            texts.append(rng.choice(texts))  # a resend
        else:
            texts.append(
                PHRASES.format(
                    place=rng.choice(PLACES), topic=rng.choice(TOPICS), goal=rng.choice(GOALS)
                )
            )
    return texts


def learned_common(texts, share=0.10):
    distinct, used = count_bigrams(texts, DuplicateConfig())
    return frozenset(code for code, n in used.items() if n >= max(20, share * distinct))


def test_learned_common_2grams_keep_ideas_in_one_phrase_template_apart():
    texts = phrase_texts()
    common = learned_common(texts)
    assert any(chr(code // CODE_BASE) + chr(code % CODE_BASE) == "短板" for code in common)

    without = group_texts(texts, DuplicateConfig()).representative
    with_it = group_texts(texts, DuplicateConfig(learned_common=common)).representative

    def wrong_pairs(representative):
        # Different texts (other place, topic or goal) in one group.
        return sum(
            1
            for i in range(len(texts))
            for j in range(i)
            if representative[i] == representative[j] and texts[i] != texts[j]
        )

    assert wrong_pairs(without) > 3 * wrong_pairs(with_it)
    for i, text in enumerate(texts):  # every resend still joins its original's group
        first = texts.index(text)
        assert with_it[i] == with_it[first]


def test_both_paths_agree_with_learned_common_2grams():
    texts = phrase_texts(seed=11)
    config = DuplicateConfig(learned_common=learned_common(texts))
    index = MemoryIndex(config)
    incremental = [index.add(text) for text in texts]
    assert incremental == group_texts(texts, config).representative.tolist()


@override_settings(DUPLICATES_BOILERPLATE_MIN_IDEAS=20, DUPLICATES_COMMON_SHARE=0.10)
def test_learning_stores_common_2grams_and_a_check_uses_them(make_idea, campaign):
    texts = phrase_texts(count=60, seed=3)
    for text in texts:
        make_idea(text)

    result = campaign_learn_boilerplate(campaign=campaign)

    assert not result.sentences  # no line is shared whole
    learned = dict(result.bigrams)
    assert "短板" in learned and "亮点" in learned
    assert "泽州" not in learned  # a slot's words are not in enough ideas
    assert result.common_threshold == 20
    assert all(count >= 20 for count in learned.values())
    stored = DuplicateBoilerplate.objects.filter(campaign=campaign, kind=BoilerplateKind.BIGRAM)
    assert sorted(stored.values_list("sentence", flat=True)) == sorted(learned)
    config = duplicate_config(campaign.pk)
    assert config.learned_common == frozenset(stored.values_list("key", flat=True))
    assert config.learned_common <= config.common_set
    assert not config.boilerplate
