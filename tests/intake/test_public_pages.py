"""The citizens' pages: the header on every page, care mode, the lookup's idea and public
timeline, the receipt's facts, and one privacy notice shared by the form and the page."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from suggestions.common.rules import Actor
from suggestions.intake.services import suggestion_submit
from suggestions.intake.views import RECEIPT_SALT
from suggestions.models import Status
from suggestions.privacy.notice import privacy_statements
from suggestions.screening.workflow import suggestion_transition

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = ["/", "/submit/", "/lookup/", "/ideas/", "/privacy/"]


@pytest.fixture
def stored(submit_kwargs):
    return suggestion_submit(**submit_kwargs).suggestion


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_every_public_page_has_the_header_skip_link_and_main_landmark(client, campaign, path):
    html = client.get(path).content.decode()

    assert '<a class="skip-link" href="#main">跳到主要内容</a>' in html
    assert '<main id="main"' in html
    for label, url in (
        ("提交金点子", "/submit/"),
        ("查询进度", "/lookup/"),
        ("优秀金点子", "/ideas/"),
    ):
        assert re.search(rf'<a href="{url}"[^>]*>{label}</a>', html), label
    assert "关怀模式" in html and ">English<" in html
    assert '<html lang="zh-Hans">' in html


def test_the_current_page_is_marked_in_the_navigation(client, campaign):
    html = client.get("/lookup/").content.decode()

    assert '<a href="/lookup/" aria-current="page">查询进度</a>' in html
    assert '<a href="/submit/">提交金点子</a>' in html


def test_the_home_page_labels_the_campaign_phase(client, campaign):
    html = client.get("/").content.decode()

    assert "当前阶段" in html
    assert f'id="campaign-phase">{campaign.get_phase_display()}<' in html


def test_care_mode_is_switched_by_a_plain_link_and_remembered_in_a_cookie(client, campaign):
    response = client.get(reverse("care-mode"), {"on": "1", "next": "/submit/?x=1"})

    assert response.status_code == 302 and response["Location"] == "/submit/?x=1"
    assert client.cookies["care_mode"].value == "1"
    html = client.get("/privacy/").content.decode()
    assert '<html lang="zh-Hans" class="care">' in html
    assert "退出关怀模式" in html

    client.get(reverse("care-mode"), {"on": "0", "next": "/"})
    assert '<html lang="zh-Hans">' in client.get("/privacy/").content.decode()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_care_mode_never_redirects_off_site(client, target):
    response = client.get(reverse("care-mode"), {"on": "1", "next": target})

    assert response.status_code == 302 and response["Location"] == "/"


def test_care_mode_refuses_a_post(client):
    assert client.post(reverse("care-mode"), {"on": "1"}).status_code == 405


def _lookup(client, idea):
    response = client.post("/lookup/", {"receipt": idea.receipt, "phone_last4": "5678"})
    assert response.status_code == 200
    return response.content.decode()


def _steps(html):
    """(day or "", label) per step of the public timeline."""
    timeline = html.split('id="lookup-steps">')[1].split("</ol>")[0]
    return [
        (day or "", label)
        for day, label in re.findall(
            r'<li[^>]*>(?:<span class="when">([\d-]+)</span>)?<span class="what">([^<]+)<',
            timeline,
        )
    ]


def test_the_lookup_shows_title_unit_received_day_and_the_timeline(client, stored):
    html = _lookup(client, stored)

    assert stored.title in html
    assert 'id="lookup-unit">城区<' in html
    received = stored.received_at.astimezone().strftime("%Y-%m-%d")
    assert f'id="lookup-received">{received}<' in html
    # Reached steps carry their day; the ones to come carry none.
    assert _steps(html) == [(received, "已收集"), ("", "初选（所选单位）"), ("", "市级评审")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([Status.SHORTLISTED], ["已收集", "初选入围", "市级评审"]),
        ([Status.SHORTLISTED, Status.EXCELLENT], ["已收集", "初选入围", "优秀金点子"]),
        ([Status.SET_ASIDE], ["已收集", "未入选"]),
        ([Status.SHORTLISTED, Status.SET_ASIDE], ["已收集", "初选入围", "未入选"]),
    ],
)
def test_the_public_timeline_follows_the_decisions_without_staff_names(
    client, stored, personas, path, expected
):
    for to_status in path:
        # Stage 1 is the unit's screener, stage 2 (from shortlisted) the city reviewer.
        stage2 = stored.status == Status.SHORTLISTED
        actor = personas["reviewer"] if stage2 else personas["screener_chengqu"]
        suggestion_transition(
            suggestion=stored, to_status=to_status, actor=Actor.of(actor), reason="内部理由甲乙丙"
        )
        stored.refresh_from_db()

    html = _lookup(client, stored)
    steps = _steps(html)
    assert [label for _, label in steps] == expected
    # Every reached step has a day; staff names and internal reasons never show.
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) for day, _ in steps[: len(path) + 1])
    for private in ("screener_chengqu", "reviewer", "内部理由甲乙丙", "李四", "13912345678"):
        assert private not in html


def test_the_receipt_page_repeats_title_unit_and_time_and_offers_a_copy_button(client, stored):
    token = signing.dumps(stored.receipt, salt=RECEIPT_SALT)

    html = client.get(reverse("suggestions:receipt", args=[token])).content.decode()

    assert f'id="receipt-number" aria-labelledby="receipt-label">{stored.receipt}<' in html
    assert f'id="receipt-title">{stored.title}<' in html
    assert 'id="receipt-unit">城区<' in html
    assert stored.received_at.astimezone().strftime("%Y-%m-%d %H:%M") in html
    assert 'id="copy-receipt"' in html and "/static/js/receipt.js" in html
    assert "<script>" not in html and 'style="' not in html


def test_form_and_privacy_page_state_the_same_retention_and_deletion(client, campaign, units):
    form = client.get("/submit/").content.decode()
    page = client.get("/privacy/").content.decode()
    closes = campaign.closes_at.astimezone().date()

    statements = privacy_statements(closes_at=closes)
    for key in ("controller", "purpose", "retention", "erasure", "publication"):
        assert statements[key] in form and statements[key] in page, key
    assert "立即删除" not in page  # the old page contradicted the form's 15 working days
    assert "15 个工作日" in statements["erasure"]


def test_the_privacy_page_has_no_space_between_chinese_sentences(client, campaign):
    html = client.get("/privacy/").content.decode()
    paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", html.split('<main id="main"')[1], re.S)

    assert len(paragraphs) >= 5
    for paragraph in paragraphs:
        text = re.sub(r"<[^>]+>", "", paragraph)
        assert not re.search(r"[。；：，！？]\s+[\u4e00-\u9fff]", text), text


def test_the_submit_form_lists_its_errors_above_the_form_linked_to_the_fields(
    client, campaign, units
):
    html = client.post("/submit/", {}).content.decode()

    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'role="alert"' in html.split('id="error-summary"')[0][-60:]
    assert '<a class="alert-link" href="#id_title">标题</a>' in summary
    assert 'data-error-for="id_consent"' in summary
    assert 'aria-invalid="true"' in html
    assert re.search(r'id="id_title"|aria-describedby="[^"]*id_title_error', html)


def test_the_api_docs_page_has_no_inline_script_or_style(client, db):
    html = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert "<style" not in html and "<script>" not in html
    assert '<script src="/api/docs/?script=' in html
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
