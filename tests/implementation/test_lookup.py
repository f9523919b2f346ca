"""The citizen's lookup shows the adoption, the public timeline and the approved reply,
never staff names or contact data."""

from datetime import timedelta

from suggestions.common.rules import Actor
from suggestions.implementation.workflow import (
    implementation_adopt,
    implementation_assign,
    implementation_complete,
    implementation_confirm,
    implementation_progress,
    implementation_reply_publish,
    implementation_send_back,
)
from tests.implementation.conftest import today

LOOKUP = "/lookup/"


def _lookup(client, impl):
    response = client.post(
        LOOKUP, {"receipt": impl.suggestion.receipt, "phone_last4": impl.suggestion.phone[-4:]}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_lookup_shows_the_reply_and_the_public_timeline_only(client, impl_factory, personas, units):
    impl = impl_factory(name="李四", phone="13912345678")
    reviewer, lead = Actor.of(personas["reviewer"]), Actor.of(personas["screener_chengqu"])
    implementation_adopt(implementation=impl, actor=reviewer, note="列入年度计划")
    implementation_assign(
        implementation=impl,
        actor=reviewer,
        lead_unit=units["城区"],
        due_date=today() + timedelta(days=30),
    )
    implementation_progress(implementation=impl, actor=lead, percent=50, note="已完成施工招标")
    implementation_progress(
        implementation=impl, actor=lead, percent=60, note="内部协调会纪要", public=False
    )
    implementation_complete(implementation=impl, actor=lead, note="步道已建成")
    implementation_send_back(implementation=impl, actor=reviewer, reason="验收材料不全")
    implementation_complete(implementation=impl, actor=lead, note="步道已建成并验收")
    implementation_confirm(implementation=impl, actor=reviewer)
    implementation_reply_publish(
        implementation=impl, actor=reviewer, text="感谢您的建议，健身步道已于本月建成开放。"
    )

    html = _lookup(client, impl)
    assert "优秀金点子" in html
    assert 'id="lookup-implementation-status">已落实<' in html
    assert "健身步道已于本月建成开放" in html
    for public in ("列入年度计划", "已完成施工招标", "步道已建成并验收", "城区", "100%"):
        assert public in html
    for private in ("内部协调会纪要", "验收材料不全", "reviewer", "screener_chengqu", "李四"):
        assert private not in html
    assert "13912345678" not in html


def test_an_unapproved_or_withdrawn_reply_is_not_shown(client, impl_factory, personas):
    impl = impl_factory()
    reviewer = Actor.of(personas["reviewer"])
    implementation_adopt(implementation=impl, actor=reviewer)
    implementation_reply_publish(implementation=impl, actor=reviewer, text="内部草稿", public=False)

    html = _lookup(client, impl)
    assert "采纳" in html and "内部草稿" not in html


def test_an_idea_still_under_study_shows_no_implementation_section(client, impl_factory):
    html = _lookup(client, impl_factory())
    assert "lookup-implementation" not in html


def test_reply_text_is_escaped(client, impl_factory, personas):
    impl = impl_factory()
    reviewer = Actor.of(personas["reviewer"])
    implementation_adopt(implementation=impl, actor=reviewer)
    implementation_reply_publish(
        implementation=impl, actor=reviewer, text="<script>alert(1)</script>\n第二行"
    )
    html = _lookup(client, impl)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html and "<br>第二行" in html


def test_the_showcase_shows_the_state_and_the_public_reply_of_consenting_ideas(
    client, impl_factory, personas, campaign
):
    from django.core.cache import cache
    from django.urls import reverse

    from suggestions.models import Suggestion

    cache.clear()
    campaign.results_published = True
    campaign.save()
    shown, hidden = impl_factory(), impl_factory()
    Suggestion.objects.filter(pk=shown.suggestion_id).update(publish_consent=True)
    reviewer = Actor.of(personas["reviewer"])
    for impl in (shown, hidden):
        implementation_adopt(implementation=impl, actor=reviewer)
        implementation_reply_publish(
            implementation=impl, actor=reviewer, text=f"答复{impl.suggestion.receipt}"
        )
    draft = impl_factory()
    Suggestion.objects.filter(pk=draft.suggestion_id).update(publish_consent=True)
    implementation_adopt(implementation=draft, actor=reviewer)
    implementation_reply_publish(implementation=draft, actor=reviewer, text="草稿", public=False)

    html = client.get(reverse("tallies:showcase")).content.decode()
    assert f"答复{shown.suggestion.receipt}" in html and "落实情况：采纳" in html
    assert f"答复{hidden.suggestion.receipt}" not in html  # no consent
    assert "草稿" not in html and "reviewer" not in html
