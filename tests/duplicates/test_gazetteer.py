"""Places and key terms decide: the gazetteer, the conflict rule and their use in grouping."""

import pytest

from suggestions.duplicates.algorithm import (
    DuplicateConfig,
    MemoryIndex,
    conflict_reason,
    group_texts,
    normalise,
    normalised_sentences,
    shingles,
)
from suggestions.duplicates.gazetteer import Gazetteer, Place, conflict, default_gazetteer


@pytest.fixture(scope="module")
def gazetteer():
    return default_gazetteer()


def terms(gazetteer, text):
    return gazetteer.terms(normalise(text))


def features(text, config):
    sentences = normalised_sentences(text)
    return shingles("".join(sentences), config, sentences=sentences)


def test_the_gazetteer_knows_the_units_their_short_names_and_the_citys_landmarks(gazetteer):
    assert ("county", "泽州县") in terms(gazetteer, "泽州的公交")
    assert ("county", "高平市") in terms(gazetteer, "高平市的公交")
    assert ("town", "巴公镇") in terms(gazetteer, "巴公的集市")
    assert ("county", "泽州县") in terms(gazetteer, "巴公的集市")  # a town implies its county
    assert ("scenic", "皇城相府") in terms(gazetteer, "皇城相府停车难")
    assert ("scenic", "王莽岭") in terms(gazetteer, "王莽岭的厕所")
    assert ("county", "晋城经济技术开发区") in terms(gazetteer, "开发区的路灯")
    assert ("town", "开发区街道") in terms(gazetteer, "开发区街道的路灯")


def test_ordinary_words_are_not_taken_for_places(gazetteer):
    assert not {k for k, _ in terms(gazetteer, "提高平均工资水平")} & {"county"}
    assert not terms(gazetteer, "在南村下村之间修路，三甲医院")  # ambiguous short names


def test_the_longest_name_wins(gazetteer):
    found = terms(gazetteer, "高平市政务服务中心窗口太少")
    assert ("service_hall", "高平市政务服务中心") in found
    assert ("service_hall", "市政务服务中心") not in found


def test_different_places_of_one_kind_conflict_but_a_place_left_out_does_not(gazetteer):
    assert conflict(terms(gazetteer, "王莽岭停车难"), terms(gazetteer, "珏山停车难"))
    assert conflict(terms(gazetteer, "巴公镇修路"), terms(gazetteer, "高平市修路"))
    assert conflict(terms(gazetteer, "泽州县巴公镇修路"), terms(gazetteer, "巴公修路")) is None
    assert conflict(terms(gazetteer, "泽州县修路"), terms(gazetteer, "修路")) is None
    assert conflict(
        terms(gazetteer, "高平市政务服务中心"), terms(gazetteer, "市政务服务中心")
    ).startswith("service_hall")


def test_opposite_terms_conflict_unless_one_idea_holds_both(gazetteer):
    assert conflict(terms(gazetteer, "计划停电通知"), terms(gazetteer, "计划停水通知"))
    assert conflict(terms(gazetteer, "延长开放时间"), terms(gazetteer, "缩短开放时间"))
    assert conflict(terms(gazetteer, "增设窗口"), terms(gazetteer, "取消窗口"))
    assert conflict(terms(gazetteer, "停电停水都要通知"), terms(gazetteer, "停水要通知")) is None


def test_a_gazetteer_can_be_made_from_any_list_of_places():
    small = Gazetteer([Place("甲村", "town", "乙县", ("甲",))], contrasts=[("开", "关")])
    assert small.terms("甲的路开了") == {("town", "甲村"), ("county", "乙县"), ("contrast0", "开")}


def test_different_asks_in_the_same_frame_are_different_ideas():
    config = DuplicateConfig()
    frame = "城区幼儿园门口早上很堵。{}。安排协管员疏导。"
    a = features(frame.format("建议在幼儿园门口设置临时停车区，实行错峰接送"), config)
    b = features(frame.format("建议给孩子们的校车安装定位和监控设备"), config)
    assert conflict_reason(a, b, config).startswith("asks differ")
    assert conflict_reason(a, a, config) is None


SAME = (
    "{}景区节假日停车非常困难，游客的车经常停到公路边上。"
    "建议在景区入口附近新建临时停车场，并安排专人引导车辆。"
)


def test_the_same_proposal_for_two_places_is_two_groups_in_both_paths():
    texts = [SAME.format("王莽岭"), SAME.format("珏山"), SAME.format("王莽岭") + "谢谢！"]
    config = DuplicateConfig()
    grouping = group_texts(texts, config)
    assert grouping.representative.tolist() == [0, 1, 0]
    index = MemoryIndex(config)
    assert [index.add(text) for text in texts] == [0, 1, 0]
    without = group_texts(texts, DuplicateConfig(use_terms=False))
    assert without.representative.tolist() == [0, 0, 0]


def test_a_link_that_names_no_place_does_not_join_two_places():
    # The middle idea names no place: it joins the first; the third names another place
    # and matches the middle one, but conflicts with its group's representative.
    body = SAME.format("")
    texts = ["王莽岭" + body, body, "珏山" + body]
    config = DuplicateConfig()
    assert group_texts(texts, config).representative.tolist() == [0, 0, 2]
    index = MemoryIndex(config)
    assert [index.add(text) for text in texts] == [0, 0, 2]


LONG_IDEA = (
    "晋城东站到市区的公交车班次太少，晚上的高铁到站后经常没有公交。"
    "建议增开夜间接驳公交，发车时间与列车到站时间衔接。并在站前设置出租车统一候客区。"
)
LETTER = (
    "尊敬的市领导：您好！我是一名退休教师，平时很关心咱们晋城的发展，也经常坐火车出门。"
    "今天想提一个建议，请领导们看看是否可行。"
    + LONG_IDEA
    + "我身边的很多朋友也有同样的感受，大家都希望这个问题能早日解决。"
    + "以上是我的一点建议，不当之处请指正。谢谢！一位普通市民"
)


def test_an_idea_pasted_into_a_long_letter_matches_by_containment_in_both_paths():
    config = DuplicateConfig()
    a, b = features(LONG_IDEA, config), features(LETTER, config)
    from suggestions.duplicates.algorithm import match_score, similarity

    assert similarity(a, b) < config.threshold <= match_score(a, b, config)
    assert group_texts([LONG_IDEA, LETTER], config).representative.tolist() == [0, 0]
    index = MemoryIndex(config)
    assert [index.add(LONG_IDEA), index.add(LETTER)] == [0, 0]


def test_a_short_text_is_not_matched_by_containment_alone():
    config = DuplicateConfig()
    short = "建议增开夜间公交。"
    longer = (
        "建议增开夜间公交，发车时间与列车到站时间衔接，并在站前设置出租车统一候客区，方便旅客。"
    )
    assert group_texts([short, longer], config).representative.tolist() == [0, 1]


def test_a_proposal_for_one_local_product_is_not_one_for_another(gazetteer):
    assert conflict(terms(gazetteer, "打造高平黄梨品牌"), terms(gazetteer, "打造高平小米品牌"))


def test_a_match_is_the_2_gram_score_unless_places_terms_or_asks_conflict():
    from suggestions.duplicates.algorithm import lexical_score, match_score
    from tests.duplicates.evalset_hard import build_hard_set

    config = DuplicateConfig()
    items = build_hard_set()
    texts = [item["text"] for item in items]
    full = [features(text, config) for text in texts]
    sentences = [normalised_sentences(text) for text in texts]
    grams = [shingles("".join(s), config, sentences=s, conflicts=False) for s in sentences]
    kinds = {"scored": 0, "vetoed": 0}
    for i in range(len(texts)):
        for j in range(i + 1, min(len(texts), i + 12)):  # neighbours: mostly one base idea
            a, b = full[i], full[j]
            score = lexical_score(a, b, config)
            # The 2-grams alone give the same score: what the check dismisses candidates by.
            assert lexical_score(a, grams[j], config) == score
            vetoed = conflict_reason(a, b, config)
            assert match_score(a, b, config) == (0.0 if vetoed else score)
            if score:
                kinds["vetoed" if vetoed else "scored"] += 1
    assert kinds["scored"] > 100 and kinds["vetoed"] > 10  # both sides are exercised
