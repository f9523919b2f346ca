"""The screening desk in admin, driven through the test client as staff use it."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from suggestions.models import PersonalDataAccess, Status, StatusChange, Suggestion
from suggestions.screening.workflow import Actor, suggestion_transition

CHANGELIST = "admin:suggestions_suggestion_changelist"


def change_url(idea):
    return reverse("admin:suggestions_suggestion_change", args=[idea.pk])


@pytest.fixture
def login(client, personas):
    def as_(role):
        client.force_login(personas[role])
        return client

    return as_


def test_changelist_shows_the_columns_and_masks_nothing_personal(login, idea_factory):
    idea = idea_factory(unit="城区", title="发展全域旅游", phone="13812345678", name="张三")
    response = login("screener_chengqu").get(reverse(CHANGELIST))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (idea.receipt, "发展全域旅游", "城区", "网页", "群众", "已收集"):
        assert text in html
    assert "13812345678" not in html and "张三" not in html


def test_detail_page_masks_contact_and_reveal_is_logged(login, idea_factory, personas):
    idea = idea_factory(unit="城区", phone="13812345678", name="张三")
    client = login("screener_chengqu")

    html = client.get(change_url(idea)).content.decode()
    assert "138****5678" in html and "张*" in html
    assert "13812345678" not in html and "张三" not in html
    assert "<script>" not in html.replace("<script src", "")  # no inline script (CSP)

    url = reverse("admin:suggestions_suggestion_contact", args=[idea.pk])
    response = client.post(url, HTTP_ACCEPT="application/json")
    assert response.json() == {"name": "张三", "phone": "13812345678"}
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.suggestion, log.action) == (personas["screener_chengqu"], idea, "reveal")


def test_leader_sees_lists_but_no_contact_and_cannot_reveal_or_decide(login, idea_factory):
    idea = idea_factory(unit="城区", phone="13812345678", name="张三")
    client = login("leader")

    assert client.get(reverse(CHANGELIST)).status_code == 200
    html = client.get(change_url(idea)).content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert "显示联系方式" not in html
    contact = reverse("admin:suggestions_suggestion_contact", args=[idea.pk])
    assert client.post(contact).status_code == 403
    decide = reverse("admin:suggestions_suggestion_decide", args=[idea.pk])
    client.post(decide, {"to_status": "shortlisted", "seen_status": "collected"})
    assert Suggestion.objects.get(pk=idea.pk).status == Status.COLLECTED
    response = client.post(
        reverse(CHANGELIST), {"action": "shortlist", "_selected_action": [idea.pk]}
    )
    assert Suggestion.objects.get(pk=idea.pk).status == Status.COLLECTED
    assert response.status_code in (200, 302)
    assert not PersonalDataAccess.objects.exists()


def test_bulk_shortlist_reports_changed_and_refused(login, idea_factory):
    ideas = [idea_factory(unit="城区") for _ in range(2)]
    done = idea_factory(unit="城区", status=Status.EXCELLENT)
    client = login("screener_chengqu")

    response = client.post(
        reverse(CHANGELIST),
        {"action": "shortlist", "_selected_action": [i.pk for i in [*ideas, done]]},
        follow=True,
    )

    assert "2 条已改为“初选入围”，1 条被拒绝" in response.content.decode()
    assert Suggestion.objects.filter(status=Status.SHORTLISTED).count() == 2
    assert set(StatusChange.objects.values_list("via", flat=True)) == {"bulk"}


def test_bulk_set_aside_asks_for_a_reason_first(login, idea_factory):
    ideas = [idea_factory(unit="城区") for _ in range(2)]
    client = login("screener_chengqu")
    data = {"action": "set_aside", "_selected_action": [i.pk for i in ideas]}

    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200 and "确认设为未入选" in page.content.decode()
    assert not StatusChange.objects.exists()

    client.post(reverse(CHANGELIST), {**data, "apply": "1", "reason": "与本地实际不符"})
    assert list(StatusChange.objects.order_by().values_list("to_status", "reason").distinct()) == [
        ("set_aside", "与本地实际不符")
    ]


def test_decision_and_score_forms_on_the_detail_page(login, idea_factory, personas):
    idea = idea_factory(unit="城区", status=Status.SHORTLISTED)
    client = login("reviewer")
    html = client.get(change_url(idea)).content.decode()
    assert "评审打分" in html and 'value="excellent"' in html

    client.post(
        reverse("admin:suggestions_suggestion_score", args=[idea.pk]),
        {"feasibility": 5, "innovation": 4, "benefit": 4, "cost": 3, "replicability": 4},
    )
    client.post(
        reverse("admin:suggestions_suggestion_decide", args=[idea.pk]),
        {"to_status": "excellent", "seen_status": "shortlisted"},
    )

    idea.refresh_from_db()
    assert (idea.status, idea.score_count, idea.score_mean) == ("excellent", 1, 4.0)
    assert StatusChange.objects.get().via == "admin"
    html = client.get(change_url(idea)).content.decode()
    assert "优秀金点子" in html and "后台页面" in html  # history timeline


def test_a_stale_detail_page_is_told_who_changed_it(login, idea_factory, personas):
    idea = idea_factory(unit="城区")
    suggestion_transition(
        suggestion=idea, to_status=Status.SHORTLISTED, actor=Actor.of(personas["admin"])
    )
    client = login("screener_chengqu")
    response = client.post(
        reverse("admin:suggestions_suggestion_decide", args=[idea.pk]),
        {"to_status": "set_aside", "seen_status": "collected", "reason": "重复"},
        follow=True,
    )
    assert "已被 admin" in response.content.decode()
    assert StatusChange.objects.count() == 1


def test_changelist_is_sortable_by_score(login, idea_factory):
    low = idea_factory(unit="城区", status=Status.SHORTLISTED, score_mean=2.0, score_count=1)
    high = idea_factory(unit="城区", status=Status.SHORTLISTED, score_mean=4.5, score_count=2)
    client = login("reviewer")
    html = client.get(reverse(CHANGELIST), {"o": "-8"}).content.decode()
    assert html.index(high.receipt) < html.index(low.receipt)


def test_chinese_two_character_word_is_found(login, idea_factory):
    hit = idea_factory(unit="城区", title="关于乡村建设", content="发展乡村旅游，带动农民增收。")
    miss = idea_factory(unit="城区", title="关于交通", content="增加公交线路。")
    html = login("screener_chengqu").get(reverse(CHANGELIST), {"q": "旅游"}).content.decode()
    assert hit.receipt in html and miss.receipt not in html
    html = login("screener_chengqu").get(reverse(CHANGELIST), {"q": hit.receipt}).content.decode()
    assert hit.receipt in html and miss.receipt not in html


def test_export_is_masked_unless_asked_and_then_logged(login, idea_factory, personas):
    idea_factory(unit="城区", title='=HYPERLINK("http://x")', phone="13812345678", name="张三")
    client = login("screener_chengqu")
    url = reverse("admin:suggestions_suggestion_export")

    rows = _xlsx_rows(client.get(url))
    assert rows[0][:3] == ("回执号", "标题", "内容")
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][-2:] == ("张*", "138****5678")
    assert not PersonalDataAccess.objects.exists()

    rows = _xlsx_rows(client.get(url, {"contact": "1"}))
    assert rows[1][-2:] == ("张三", "13812345678")
    assert PersonalDataAccess.objects.get().action == "export"

    assert login("leader").get(url, {"contact": "1"}).status_code == 403


def _xlsx_rows(response):
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_select_all_above_the_bulk_limit_is_refused_as_a_whole(login, idea_factory, monkeypatch):
    import suggestions.screening.admin

    monkeypatch.setattr(suggestions.screening.admin, "BULK_LIMIT", 2)
    ideas = [idea_factory(unit="城区") for _ in range(3)]
    response = login("screener_chengqu").post(
        reverse(CHANGELIST),
        {
            "action": "shortlist",
            "select_across": "1",
            "index": "0",
            "_selected_action": [ideas[0].pk],
        },
        follow=True,
    )
    assert "一次最多处理 2 条" in response.content.decode()
    assert not StatusChange.objects.exists()
