"""Why two ideas were grouped or kept apart (the screeners' explanation), without a database."""

from suggestions.duplicates.algorithm import DuplicateConfig
from suggestions.duplicates.explain import explain

BODY = (
    "节假日停车非常困难，游客的车经常停到公路边上。"
    "建议在景区入口附近新建临时停车场，并安排专人引导车辆。"
)


def shared_text(segments):
    return "".join(text for text, shared in segments if shared)


def own_text(segments):
    return "".join(text for text, shared in segments if not shared)


def test_a_letter_shows_the_pasted_idea_as_shared_and_the_letter_as_its_own():
    letter = "尊敬的领导：您好！我是一名退休教师。" + "王莽岭" + BODY + "谢谢！"
    why = explain("王莽岭" + BODY, letter, DuplicateConfig())
    assert why.score >= 0.8 and why.conflict is None
    assert why.places_a == why.places_b == ("王莽岭", "陵川县")
    assert "".join(text for text, _ in why.segments_b) == letter  # nothing lost or added
    assert "王莽岭节假日停车非常困难" in shared_text(why.segments_b)
    assert "退休教师" in own_text(why.segments_b)


def test_two_places_are_named_and_the_conflict_given():
    why = explain("王莽岭" + BODY, "珏山" + BODY, DuplicateConfig())
    assert why.score == 0.0
    assert why.jaccard > 0.8
    assert why.conflict.startswith("county") or why.conflict.startswith("scenic")
    assert why.places_b == ("泽州县", "珏山")
    assert own_text(why.segments_a).startswith("王莽")


def test_full_width_and_traditional_text_is_still_seen_as_shared():
    why = explain(
        "建議在景區入口附近新建臨時停車場", "建议在景区入口附近新建临时停车场", DuplicateConfig()
    )
    assert own_text(why.segments_a) == ""
