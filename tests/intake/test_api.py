import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from suggestions.intake.channels import channel_key_create, channel_key_revoke
from suggestions.models import ChannelKey, IdempotencyRecord, Suggestion
from tests.intake.conftest import GOOD_CONTENT

pytestmark = pytest.mark.django_db

URL = "/api/v1/suggestions/"


@pytest.fixture
def api_key(db):
    _key, raw = channel_key_create(name="wechat")
    return raw


@pytest.fixture
def body(units, campaign, topic):
    return {
        "title": "增加夜间公交线路",
        "content": GOOD_CONTENT,
        "topic": topic.pk,
        "unit": units["城区"].pk,
        "identity_type": "public",
        "name": "王五",
        "phone": "+86 137 0000 1111",
        "publish_consent": True,
    }


def post(client, body, key, **headers):
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        **headers,
    )


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["fields"], dict)
    return error


def test_a_channel_posts_an_idea_and_reads_it_back(client, body, api_key):
    response = post(client, body, api_key)

    assert response.status_code == 201
    data = response.json()
    suggestion = Suggestion.objects.get()
    assert data["receipt"] == suggestion.receipt and data["status_label"] == "已收集"
    assert suggestion.channel == "mini_program" and suggestion.phone == "13700001111"
    got = client.get(f"{URL}{data['receipt']}/", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert got.status_code == 200 and got.json()["receipt"] == data["receipt"]


def test_another_channel_cannot_read_the_idea(client, body, api_key):
    receipt = post(client, body, api_key).json()["receipt"]
    _other, other_raw = channel_key_create(name="partner")

    response = client.get(f"{URL}{receipt}/", HTTP_AUTHORIZATION=f"Bearer {other_raw}")

    assert_error_shape(response, 404, "not_found")


def test_only_the_hash_of_a_key_is_stored_and_a_revoked_key_is_refused(client, body, api_key):
    stored = ChannelKey.objects.get()
    assert api_key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    channel_key_revoke(channel_key=stored)

    assert_error_shape(post(client, body, api_key), 401, "authentication_failed")
    assert_error_shape(
        client.post(URL, body, content_type="application/json"), 401, "not_authenticated"
    )


@pytest.mark.parametrize("field", ["status", "receipt", "channel", "score_mean"])
def test_unknown_fields_are_refused(client, body, api_key, field):
    error = assert_error_shape(post(client, {**body, field: "excellent"}, api_key), 400, "invalid")
    assert field in error["fields"]
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", ""),
        ("content", "好" * 20_001),
        ("content", "🙂" * 30),
        ("content", "建议" * 10 + "\u0000"),
        ("phone", "138123456789"),
        ("phone", "0356-2021234"),
        ("title", "<script>" * 10),
        ("unit", 999_999),
        ("topic", "abc"),
    ],
)
def test_bad_input_is_a_400_in_the_error_shape_and_stores_nothing(
    client, body, api_key, field, value
):
    error = assert_error_shape(post(client, {**body, field: value}, api_key), 400, "invalid")
    assert field in error["fields"]
    assert not Suggestion.objects.exists()


def test_broken_json_and_huge_bodies_get_the_error_shape(client, api_key, body):
    broken = client.post(
        URL, "{nope", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )
    huge = post(client, {**body, "content": "好" * 1_000_000}, api_key)

    assert_error_shape(broken, 400, "parse_error")
    assert_error_shape(huge, 413, "too_large")


def test_the_same_idempotency_key_and_body_replay_the_first_response(client, body, api_key):
    first = post(client, body, api_key, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(client, body, api_key, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Suggestion.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_422(client, body, api_key):
    post(client, body, api_key, HTTP_IDEMPOTENCY_KEY="k-2")

    response = post(client, {**body, "title": "另一个标题"}, api_key, HTTP_IDEMPOTENCY_KEY="k-2")

    assert_error_shape(response, 422, "idempotency_key_reused")
    assert Suggestion.objects.count() == 1


def test_an_idempotency_key_expires_after_a_day(client, body, api_key):
    from datetime import timedelta

    from django.utils import timezone

    post(client, body, api_key, HTTP_IDEMPOTENCY_KEY="k-3")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post(client, {**body, "title": "另一个标题"}, api_key, HTTP_IDEMPOTENCY_KEY="k-3")

    assert (
        response.status_code == 200
    )  # no 422: the key is fresh again; same phone+content = repeat
    assert response.json()["repeat"] is True


def test_the_create_channel_key_command_prints_a_working_key(client, body, capsys):
    call_command("create_channel_key", "paper-partner")
    raw = capsys.readouterr().out.strip()

    assert post(client, body, raw).status_code == 201


def test_schema_and_docs_are_served_without_a_cdn(client, db):
    schema = client.get(reverse("api-schema"))
    docs = client.get(reverse("api-docs"))

    assert schema.status_code == 200 and b"/api/v1/suggestions/" in schema.content
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    # Every script and stylesheet is ours: no absolute URL to another host.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def post_raw(client, raw: bytes | str, key):
    return client.post(
        URL, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def test_json_nested_deeper_than_the_limit_is_a_400_in_the_error_shape(client, api_key):
    from suggestions.intake.api import MAX_JSON_DEPTH

    deep = "[" * 930 + "]" * 930  # ~930 levels made the parser raise RecursionError (500)
    error = assert_error_shape(post_raw(client, deep, api_key), 400, "parse_error")
    assert "32" in error["message"]
    nested = '{"title": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}"
    assert_error_shape(post_raw(client, nested, api_key), 400, "parse_error")
    # At the limit the body parses and is judged by the serializer as usual.
    shallow = '{"title": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    assert_error_shape(post_raw(client, shallow, api_key), 400, "invalid")
    # Brackets inside strings are text, not nesting.
    assert_error_shape(post_raw(client, '{"title": "' + "[" * 500 + '"}', api_key), 400, "invalid")


@pytest.mark.parametrize(
    "raw",
    [
        '{"\\ud800": "x"}',  # a lone surrogate as a field name
        '{"title": "\\udfff"}',  # ... and as a value
        '{"title": ["ok", {"a": "\\ud83d"}]}',
        b'{"title": "\xff\xfe"}',  # not UTF-8
    ],
)
def test_invalid_unicode_is_a_400_in_the_error_shape(client, api_key, raw):
    assert_error_shape(post_raw(client, raw, api_key), 400, "parse_error")


def test_a_valid_surrogate_pair_is_an_ordinary_character(client, body, api_key):
    raw = json.dumps({**body, "name": "\U00020bb7王"})  # 𠮷 as a \ud842\udfb7 escape pair
    assert "\\ud842\\udfb7" in raw
    assert post_raw(client, raw, api_key).status_code == 201


@pytest.mark.parametrize("receipt", ["%00", "JC2021-000001%00", "%C2%B2", "x" * 40, "a%20b"])
def test_a_receipt_path_that_is_no_receipt_is_a_404(client, api_key, receipt):
    response = client.get(f"{URL}{receipt}/", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert_error_shape(response, 404, "not_found")
