from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from suggestions.models import Campaign, Suggestion

pytestmark = pytest.mark.django_db

SUBMIT = "/submit/"


def test_the_form_page_shows_every_field_the_privacy_notice_and_the_grouped_units(
    client, units, campaign
):
    response = client.get(SUBMIT)

    html = response.content.decode()
    assert response.status_code == 200
    for name in ("title", "content", "topic", "unit", "identity_type", "name", "phone", "consent"):
        assert f'name="{name}"' in html
    assert (
        'name="publish_consent"' in html
        and "checked" not in html.split('name="publish_consent"')[1][:80]
    )
    assert "个人信息处理说明" in html and "征集活动截止后 365 天" in html
    assert '<optgroup label="县(市、区) · 泽州县">' in html
    assert "泽州县 · " in html  # towns listed under their county
    assert '<optgroup label="市直单位">' in html
    assert "<script>" not in html.replace("<script src=", "")  # no inline script (CSP)
    assert " onclick=" not in html and 'style="' not in html


def test_a_valid_submission_redirects_to_a_receipt_page_with_the_number(client, form_data):
    response = client.post(SUBMIT, form_data)

    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.phone == "13812345678" and suggestion.channel == "web"
    assert suggestion.publish_consent is False
    page = client.get(response["Location"])
    assert suggestion.receipt in page.content.decode()
    assert reverse("suggestions:lookup") in page.content.decode()


def test_a_double_tap_returns_the_first_receipt_and_stores_one_row(client, form_data):
    first = client.post(SUBMIT, form_data)
    second = client.post(SUBMIT, {**form_data, "phone": "+86 138-1234-5678"})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Suggestion.objects.count() == 1


def test_full_width_digits_and_country_code_are_normalised(client, form_data):
    client.post(SUBMIT, {**form_data, "phone": "＋８６ １３８１２３４５６７８"})
    assert Suggestion.objects.get().phone == "13812345678"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("content", "", "该字段是必填项"),
        ("content", "好" * 20_001, "建议内容最多"),
        ("content", "😀🎉" * 20, "不能只有表情"),
        ("content", "建议" * 10 + "\x00", "控制字符"),
        ("phone", "138123456789", "11位"),
        ("phone", "0356-2021234", "11位"),
        ("title", "标" * 61, "60"),
        ("unit", "999999", "有效的建议单位"),
        ("consent", "", "请阅读并勾选"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    client, form_data, field, value, message
):
    data = {**form_data, field: value}
    if field == "consent":
        del data["consent"]

    response = client.post(SUBMIT, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Suggestion.objects.exists()


def test_an_inactive_unit_is_refused(client, form_data, units):
    units["泽州县"].is_active = False
    units["泽州县"].save()

    response = client.post(SUBMIT, form_data)

    assert response.status_code == 400
    assert not Suggestion.objects.exists()


def test_script_in_a_field_is_stored_as_text_and_escaped_when_shown_again(client, form_data):
    response = client.post(
        SUBMIT, {**form_data, "title": "<script>alert(1)</script>", "phone": "1"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    client.post(SUBMIT, {**form_data, "title": "<script>alert(1)</script>"})
    assert Suggestion.objects.get().title == "<script>alert(1)</script>"


def test_the_honeypot_stores_nothing(client, form_data):
    response = client.post(SUBMIT, {**form_data, "website": "http://spam.example"})

    assert response.status_code == 400
    assert not Suggestion.objects.exists()


def test_a_three_megabyte_body_is_refused_without_a_server_error(client, form_data):
    response = client.post(SUBMIT, {**form_data, "content": "好" * (3 * 1024 * 1024 // 3 + 10)})

    assert response.status_code == 400
    assert "提交的内容过大或格式不正确" in response.content.decode()
    assert not Suggestion.objects.exists()


def test_a_thousand_and_one_fields_are_refused_without_a_server_error(client, form_data):
    data = {**form_data, **{f"f{i}": "x" for i in range(1001)}}

    response = client.post(SUBMIT, data)

    assert response.status_code == 400
    assert "提交的内容过大或格式不正确" in response.content.decode()
    assert not Suggestion.objects.exists()


def test_a_closed_campaign_shows_a_notice_and_accepts_nothing(client, form_data, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - timedelta(hours=1))

    page = client.get(SUBMIT)
    post = client.post(SUBMIT, form_data)

    assert "已经结束" in page.content.decode() and 'name="content"' not in page.content.decode()
    assert post.status_code == 403
    assert not Suggestion.objects.exists()


def test_an_inactive_campaign_shows_the_notice_too(client, form_data, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(is_active=False)

    assert "暂未开放或已经结束" in client.get(SUBMIT).content.decode()
    assert client.post(SUBMIT, form_data).status_code == 403


def test_a_forged_receipt_link_is_not_found(client, db):
    assert client.get("/submit/receipt/JC2021-000001/").status_code == 404


def test_the_form_is_in_english_when_asked(client, units, campaign):
    client.get(SUBMIT)  # a Chinese visitor first: the unit list is cached per language

    response = client.get(SUBMIT, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Submit an idea" in html and "提交金点子" not in html
    assert "Personal data notice (please read before submitting)" in html
    assert "Mobile number" in html and "手机号码" not in html  # the form's own labels
    assert '<optgroup label="County / district · 泽州县">' in html  # the cached unit list
    assert '<optgroup label="City department">' in html
