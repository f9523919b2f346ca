import pytest
from django.test import override_settings

from suggestions.intake.services import suggestion_submit
from suggestions.models import Suggestion

pytestmark = pytest.mark.django_db

LOOKUP = "/lookup/"


@pytest.fixture
def stored(submit_kwargs):
    suggestion = suggestion_submit(**submit_kwargs).suggestion
    Suggestion.objects.filter(pk=suggestion.pk).update(public_note="已转交市住建局研究")
    return suggestion


def test_receipt_and_last_four_digits_show_the_idea_its_stage_and_public_note_only(client, stored):
    response = client.post(LOOKUP, {"receipt": stored.receipt.lower(), "phone_last4": "5678"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "已收集" in html and "已转交市住建局研究" in html
    assert stored.title in html and stored.unit.name in html
    assert stored.name not in html and "1391234" not in html


@pytest.mark.parametrize(
    ("receipt", "last4"), [("JC2021-000001", "0000"), ("JC2021-999999", "5678")]
)
def test_a_wrong_pair_gets_the_one_generic_answer(client, stored, receipt, last4):
    response = client.post(LOOKUP, {"receipt": receipt, "phone_last4": last4})

    assert response.status_code == 404
    assert "没有找到与该回执号和手机号后四位相符的建议" in response.content.decode()


@override_settings(INTAKE_RATE_LOOKUP_PER_IP_PER_HOUR=3)
def test_lookups_are_rate_limited_per_address(client, stored):
    for _ in range(3):
        client.post(LOOKUP, {"receipt": stored.receipt, "phone_last4": "0000"})

    blocked = client.post(LOOKUP, {"receipt": stored.receipt, "phone_last4": "5678"})
    other = client.post(
        LOOKUP, {"receipt": stored.receipt, "phone_last4": "5678"}, REMOTE_ADDR="10.0.0.9"
    )

    assert blocked.status_code == 429 and "操作过于频繁" in blocked.content.decode()
    assert other.status_code == 200  # other people are unaffected


@override_settings(INTAKE_RATE_PER_IP_PER_HOUR=2)
def test_submissions_are_rate_limited_per_address(client, form_data):
    for i in range(2):
        assert client.post("/submit/", {**form_data, "phone": f"1380000000{i}"}).status_code == 302

    blocked = client.post("/submit/", {**form_data, "phone": "13800000009"})
    other = client.post("/submit/", {**form_data, "phone": "13800000009"}, REMOTE_ADDR="10.0.0.7")

    assert blocked.status_code == 429 and "操作过于频繁" in blocked.content.decode()
    assert other.status_code == 302
    assert Suggestion.objects.count() == 3


@override_settings(INTAKE_RATE_PER_PHONE_PER_DAY=2)
def test_submissions_are_rate_limited_per_phone(client, form_data):
    for i in range(2):
        content = form_data["content"] + f"第{i}条"
        client.post("/submit/", {**form_data, "content": content}, REMOTE_ADDR=f"10.0.1.{i}")

    blocked = client.post(
        "/submit/",
        {**form_data, "content": form_data["content"] + "又一条"},
        REMOTE_ADDR="10.0.2.1",
    )

    assert blocked.status_code == 429
    assert Suggestion.objects.count() == 2
