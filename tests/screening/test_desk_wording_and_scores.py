"""What staff read on the desk: Chinese wording, the greeting, the index, scores."""

import re

import pytest
from django.urls import reverse

from suggestions.models import Score, Status

CHANGELIST = reverse("admin:suggestions_suggestion_changelist")
MARKS = ("feasibility", "innovation", "benefit", "cost", "replicability")


def test_changelist_title_count_filters_and_greeting_are_the_portals_own(
    client, personas, idea_factory
):
    idea = idea_factory(unit="城区", status=Status.SHORTLISTED, score_mean=4.2, score_count=3)
    client.force_login(personas["screener_chengqu"])
    html = client.get(CHANGELIST).content.decode()
    assert "<h1>金点子筛选</h1>" in html and "选择" not in html.split("<h1>")[1][:20]
    assert "共 1 条金点子" in html
    assert "按状态" in html and "以 状态" not in html
    assert "screener_chengqu" in html and "城区初筛员 · 城区" in html
    assert 'class="status-chip status-shortlisted">初选入围' in html
    assert "4.20（3人）" in html
    assert idea.content[:20] in html  # the snippet under the title


def test_the_detail_page_has_no_stray_close_button_nor_empty_duplicate_table(
    client, personas, idea_factory
):
    idea = idea_factory(unit="城区")
    client.force_login(personas["screener_chengqu"])
    html = client.get(reverse("admin:suggestions_suggestion_change", args=[idea.pk])).content
    html = html.decode()
    assert "closelink" not in html
    assert "<h1>金点子详情</h1>" in html
    assert "重复组处理记录" not in html


@pytest.mark.parametrize("page", ["change", "triage"])
def test_score_marks_start_unchosen_and_show_what_1_and_5_mean(
    client, personas, idea_factory, page
):
    idea = idea_factory(unit="城区", status=Status.SHORTLISTED)
    client.force_login(personas["reviewer"])
    if page == "change":
        url = reverse("admin:suggestions_suggestion_change", args=[idea.pk])
    else:
        url = reverse("admin:suggestions_suggestion_triage") + f"?idea={idea.pk}"
    html = client.get(url).content.decode()
    radios = re.findall(r'<input type="radio" name="(\w+)"[^>]*>', html)
    marks = [r for r in radios if r in MARKS]
    # Five rows of five, one per criterion, and not one of them chosen in advance.
    assert sorted(set(marks)) == sorted(MARKS) and len(marks) == 25
    checked = [tag for tag in re.findall(r'<input type="radio"[^>]*>', html) if "checked" in tag]
    assert not [tag for tag in checked if any(f'name="{m}"' in tag for m in MARKS)]
    assert "投入大" in html and "投入小" in html
    if page == "triage":
        assert "1 = 投入大" in html and "5 = 投入小" in html


@pytest.mark.parametrize(
    ("marks", "message"),
    [({}, "没有选择任何分数，评分未保存"), ({"cost": "5"}, "全部不打分")],
)
def test_untouched_or_partial_score_forms_store_nothing_and_say_why(
    client, personas, idea_factory, marks, message
):
    idea = idea_factory(unit="城区", status=Status.SHORTLISTED)
    client.force_login(personas["reviewer"])
    url = reverse("admin:suggestions_suggestion_score", args=[idea.pk])
    response = client.post(url, {name: marks.get(name, "") for name in MARKS}, follow=True)
    assert message in response.content.decode()
    assert not Score.objects.exists()
    idea.refresh_from_db()
    assert idea.score_count == 0


def test_the_index_says_what_to_do_per_role(client, personas, idea_factory):
    idea_factory(unit="城区")
    idea_factory(unit="城区", status=Status.SHORTLISTED)
    idea_factory(unit="泽州县", status=Status.SHORTLISTED)
    triage = reverse("admin:suggestions_suggestion_triage")

    client.force_login(personas["screener_chengqu"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "待初筛 1 条" in html and "已初筛 1 条" in html
    assert f"{triage}?status__exact=collected" in html
    assert "尚未报送" in html and "距截止还有" in html and "当前阶段" in html

    client.force_login(personas["reviewer"])
    html = client.get(reverse("admin:index")).content.decode()
    assert "待评审 2 条" in html and "泽州县" in html and "城区" in html

    client.force_login(personas["leader"])
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("tallies:dashboard") in html and "全市汇总报告" in html
    assert "待初筛" not in html
