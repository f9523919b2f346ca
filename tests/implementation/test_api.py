"""Partners read an idea's public reply and timeline by receipt, with the same key rules."""

import json
from datetime import timedelta

import pytest

from suggestions.common.rules import Actor
from suggestions.implementation.workflow import (
    implementation_adopt,
    implementation_assign,
    implementation_ensure,
    implementation_progress,
    implementation_reply_publish,
)
from suggestions.intake.channels import channel_key_create
from suggestions.models import Status, Suggestion
from tests.implementation.conftest import today
from tests.intake.conftest import GOOD_CONTENT

URL = "/api/v1/suggestions/"


@pytest.fixture
def sent(client, units, campaign):
    from django.core.cache import cache

    from suggestions.intake.forms import fragments_clear
    from suggestions.intake.services import campaign_cache_clear
    from suggestions.models import Topic

    # Units and campaign are cached (in Redis under PostgreSQL runs): start clean.
    fragments_clear()
    campaign_cache_clear()
    cache.clear()

    _key, raw = channel_key_create(name="wechat")
    topic = Topic.objects.first()
    body = {
        "title": "增加夜间公交线路",
        "content": GOOD_CONTENT,
        "topic": topic.pk,
        "unit": units["城区"].pk,
        "identity_type": "public",
        "name": "王五",
        "phone": "13700001111",
    }
    response = client.post(
        URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 201, response.content
    return raw, Suggestion.objects.get(receipt=response.json()["receipt"])


def _get(client, receipt, key):
    return client.get(f"{URL}{receipt}/implementation/", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_a_partner_reads_the_public_reply_and_timeline(client, sent, personas, units):
    key, idea = sent
    Suggestion.objects.filter(pk=idea.pk).update(status=Status.EXCELLENT)
    impl = implementation_ensure(suggestion=idea)
    reviewer = Actor.of(personas["reviewer"])
    implementation_adopt(implementation=impl, actor=reviewer, note="采纳")
    implementation_assign(
        implementation=impl,
        actor=reviewer,
        lead_unit=units["城区"],
        due_date=today() + timedelta(days=30),
    )
    implementation_progress(
        implementation=impl,
        actor=Actor.of(personas["screener_chengqu"]),
        percent=30,
        note="内部",
        public=False,
    )
    implementation_reply_publish(implementation=impl, actor=reviewer, text="正在推进")

    response = _get(client, idea.receipt, key)
    assert response.status_code == 200
    data = response.json()
    assert data["decided"] and data["status"] == "推进中" and data["percent"] == 30
    assert data["reply"] == "正在推进" and data["lead_unit"] == "城区"
    assert [step["action"] for step in data["timeline"]] == ["采纳", "交办"]
    text = response.content.decode()
    assert "reviewer" not in text and "王五" not in text and "13700001111" not in text


def test_an_undecided_idea_answers_decided_false(client, sent):
    key, idea = sent
    data = _get(client, idea.receipt, key).json()
    assert data == {**data, "decided": False, "reply": "", "timeline": []}


def test_another_channel_cannot_read_it(client, sent):
    _key, idea = sent
    _other, other_raw = channel_key_create(name="partner")
    response = _get(client, idea.receipt, other_raw)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert _get(client, idea.receipt, "nonsense").status_code == 401
