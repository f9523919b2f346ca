from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    exact_key,
    normalise,
    normalised_sentences,
    shingles,
    similarity,
)


def test_full_width_punctuation_and_spacing_do_not_matter():
    assert normalise("建议 增加１２个停车位， 谢谢") == normalise("建议增加12个停车位,谢谢")


def test_a_half_width_full_stop_ends_a_sentence_but_a_decimal_point_does_not():
    assert normalised_sentences("建议增设路灯.方便夜间出行.路面拓宽到3.5米。谢谢") == [
        "建议增设路灯",
        "方便夜间出行",
        "路面拓宽到35米",
    ]


def test_traditional_characters_become_simplified():
    assert normalise("建議加強晉城古建築保護") == "建议加强晋城古建筑保护"


def test_greetings_and_signatures_are_dropped_but_the_middle_is_kept():
    plain = normalise("建议在凤城镇增设公交站。谢谢大家的支持让我们一起努力。")
    greeted = normalise("尊敬的领导：您好！建议在凤城镇增设公交站。谢谢大家的支持让我们一起努力。")
    signed = normalise(
        "建议在凤城镇增设公交站。谢谢大家的支持让我们一起努力。"
        "以上建议望采纳。热心市民李女士 2021年6月8日"
    )
    assert plain == greeted == signed
    assert "谢谢" in plain


def test_exact_key_fits_a_signed_bigint_and_separates_texts():
    key = exact_key(normalise("建议增加停车位"))
    assert 0 <= key < 2**63
    assert key != exact_key(normalise("建议增加充电桩"))


def test_common_campaign_words_weigh_less_than_the_matter_itself():
    config = DuplicateConfig()
    a = shingles(normalise("建议加强晋城食品安全管理，提升服务水平"), config)
    b = shingles(normalise("建议加强晋城物业管理，提升服务水平"), config)
    unweighted = DuplicateConfig(common_words=())
    a2 = shingles(normalise("建议加强晋城食品安全管理，提升服务水平"), unweighted)
    b2 = shingles(normalise("建议加强晋城物业管理，提升服务水平"), unweighted)
    assert similarity(a, b) < config.threshold <= similarity(a2, b2)


def test_an_idea_is_fully_similar_to_itself_and_empty_texts_are_not_similar():
    config = DuplicateConfig()
    a = shingles(normalise("建议在老城区增加口袋公园"), config)
    assert similarity(a, a) == 1.0
    empty = shingles("", config)
    assert similarity(empty, empty) == 0.0
