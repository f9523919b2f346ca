"""The admin pieces, on a throwaway ModelAdmin (the lead wires them into SuggestionAdmin)."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from suggestions.duplicates.admin import (
    DuplicateDecisionInline,
)
from suggestions.duplicates.services import suggestions_check_unchecked
from suggestions.models import DuplicateDecision, Suggestion

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"
PARK_2 = "建议在老城区增加口袋公园和健身跑道，方便居民就近锻炼，每个街道至少建两处。"
PARKING = "建议在医院周边建设立体停车场，缓解看病停车难，同时规范路边临时停车泊位。"


@pytest.fixture
def model_admin():
    """The real screening desk, which mixes in the duplicate tools."""
    return admin.site._registry[Suggestion]


def request_for(user, params=None):
    request = RequestFactory().get("/admin/suggestions/suggestion/", params or {})
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.fixture
def ideas(make_idea):
    made = {
        "park": make_idea(PARK, unit="城区", name="张三丰", phone="13812341234"),
        "park2": make_idea(PARK_2, unit="泽州县", name="李四", phone="13987654321"),
        "parking": make_idea(PARKING, unit="城区"),
    }
    suggestions_check_unchecked()
    return {k: Suggestion.objects.get(pk=v.pk) for k, v in made.items()}


def test_the_filter_hides_non_representatives_but_never_unchecked_ideas(
    model_admin, ideas, personas, make_idea
):
    unchecked = make_idea("一条刚收到还没查重的金点子。")
    request = request_for(personas["admin"], {"duplicates": "representatives"})
    changelist = model_admin.get_changelist_instance(request)
    shown = set(changelist.get_queryset(request).values_list("pk", flat=True))
    assert shown == {ideas["park"].pk, ideas["parking"].pk, unchecked.pk}

    request = request_for(personas["admin"], {"duplicates": "repeats"})
    changelist = model_admin.get_changelist_instance(request)
    assert list(changelist.get_queryset(request)) == [ideas["park2"]]


def test_the_group_size_column(model_admin, ideas, personas):
    rows = {s.pk: s for s in model_admin.get_queryset(request_for(personas["admin"]))}
    assert model_admin.duplicate_group_size(rows[ideas["park"].pk]) == 2
    assert model_admin.duplicate_group_size(rows[ideas["park2"].pk]) == "重复项"
    assert model_admin.duplicate_group_size(rows[ideas["parking"].pk]) == "—"


def test_the_group_panel_lists_the_other_ideas_with_masked_contacts(model_admin, ideas, personas):
    park2 = model_admin.get_object(request_for(personas["reviewer"]), str(ideas["park2"].pk))
    html = str(model_admin.duplicate_group_panel(park2))
    assert ideas["park"].receipt in html
    assert "138****1234" in html and "张*" in html
    assert "13812341234" not in html and "张三丰" not in html
    assert "城区" in html
    assert ideas["park2"].receipt not in html  # the idea itself is not listed
    assert "其他单位" not in html  # a city role sees the whole group
    assert "没有重复项" in str(model_admin.duplicate_group_panel(ideas["parking"]))


def test_the_group_panel_shows_a_screener_only_the_count_of_other_units_ideas(
    model_admin, ideas, personas
):
    park2 = model_admin.get_object(request_for(personas["screener_zezhou"]), str(ideas["park2"].pk))
    html = str(model_admin.duplicate_group_panel(park2))
    assert "另有 1 条其他单位的相似建议" in html
    for leak in (ideas["park"].receipt, "城区", "张*", "1234", "href"):
        assert leak not in html


def test_the_group_panel_without_a_viewer_shows_no_idea(model_admin, ideas):
    html = str(model_admin.duplicate_group_panel(ideas["park2"]))
    assert ideas["park"].receipt not in html and "另有 1 条" in html


def test_the_split_action_is_unit_scoped_and_reports_refusals(model_admin, ideas, personas):
    request = request_for(personas["screener_chengqu"])
    queryset = Suggestion.objects.filter(pk=ideas["park2"].pk)

    model_admin.split_from_duplicate_group(request, queryset)

    assert Suggestion.objects.get(pk=ideas["park2"].pk).duplicate_of_id == ideas["park"].pk
    assert any("不属于您负责的单位" in str(m) for m in get_messages(request))

    request = request_for(personas["screener_zezhou"])
    model_admin.split_from_duplicate_group(request, queryset)
    assert Suggestion.objects.get(pk=ideas["park2"].pk).duplicate_of_id == ideas["park2"].pk
    assert DuplicateDecision.objects.get().actor == personas["screener_zezhou"]


def test_the_merge_and_confirm_actions_call_the_services(model_admin, ideas, personas):
    request = request_for(personas["screener_chengqu"])
    both = Suggestion.objects.filter(pk__in=[ideas["park"].pk, ideas["parking"].pk])

    model_admin.merge_duplicates(request, both)
    model_admin.confirm_duplicate_group(request, both)

    assert Suggestion.objects.get(pk=ideas["parking"].pk).duplicate_of_id == ideas["park"].pk
    assert list(DuplicateDecision.objects.values_list("action", flat=True)) == [
        "merge",
        "confirm",
        "confirm",
    ]


def test_the_history_inline_is_read_only_and_lists_the_ideas_decisions(
    model_admin, ideas, personas
):
    request = request_for(personas["screener_zezhou"])
    model_admin.split_from_duplicate_group(request, Suggestion.objects.filter(pk=ideas["park2"].pk))
    inline = DuplicateDecisionInline(Suggestion, model_admin.admin_site)

    rows = inline.get_queryset(request).filter(suggestion=ideas["park2"])

    assert [(d.action, d.actor) for d in rows] == [("split", personas["screener_zezhou"])]
    assert not inline.has_add_permission(request, ideas["park2"])
    assert not inline.has_change_permission(request, ideas["park2"])
    assert not inline.has_delete_permission(request, ideas["park2"])


def test_the_history_inline_names_another_units_representative_only_to_city_roles(
    model_admin, ideas, personas
):
    request = request_for(personas["screener_zezhou"])
    model_admin.split_from_duplicate_group(request, Suggestion.objects.filter(pk=ideas["park2"].pk))
    inline = DuplicateDecisionInline(Suggestion, model_admin.admin_site)

    (row,) = inline.get_queryset(request).filter(suggestion=ideas["park2"])
    assert str(inline.from_group(row)) == "其他单位的建议"  # park, 城区
    assert ideas["park2"].receipt in str(inline.to_group(row))
    assert ideas["park"].title not in str(inline.from_group(row))

    (row,) = inline.get_queryset(request_for(personas["reviewer"])).filter(
        suggestion=ideas["park2"]
    )
    assert ideas["park"].receipt in str(inline.from_group(row))
