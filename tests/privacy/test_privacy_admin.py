"""The access log is read-only in admin; deletion requests are handled from it."""

import pytest
from django.urls import reverse

from suggestions.models import PersonalDataAccess
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(units, campaign):
    return SuggestionFactory(campaign=campaign, unit=units["城区"])


@pytest.fixture
def admin_client_of(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_privacy_page_states_purpose_retention_and_deletion(client, campaign):
    response = client.get("/privacy/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "365 天" in text
    assert "申请删除" in text
    assert "只有经授权的工作人员" in text


def test_every_page_links_the_privacy_notice(client, campaign):
    assert 'href="/privacy/"' in client.get("/").content.decode()


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_nobody_can_add_change_or_delete_access_records(
    idea, personas, admin_client_of, django_user_model, who
):
    user = personas["admin"]
    if who == "superuser":
        user = django_user_model.objects.create_superuser("root", "r@example.org", "x" * 12)
    record = PersonalDataAccess.objects.create(
        user=user, action=PersonalDataAccess.Action.REVEAL, suggestion=idea
    )
    client = admin_client_of(user)

    changelist = client.get(reverse("admin:suggestions_personaldataaccess_changelist"))
    assert changelist.status_code == 200
    assert client.get(reverse("admin:suggestions_personaldataaccess_add")).status_code == 403
    delete_url = reverse("admin:suggestions_personaldataaccess_delete", args=[record.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    change_url = reverse("admin:suggestions_personaldataaccess_change", args=[record.pk])
    client.post(change_url, {"action": "export", "detail": "edited"})
    record.refresh_from_db()
    assert (record.action, record.detail) == ("reveal", "")
    # No "delete selected" bulk action either.
    assert b"delete_selected" not in changelist.content
    assert PersonalDataAccess.objects.count() == 1


def test_admin_erases_contact_data_by_receipt(idea, personas, admin_client_of):
    client = admin_client_of(personas["admin"])
    url = reverse("admin:suggestions_personaldataaccess_erase")

    assert client.get(url).status_code == 200
    response = client.post(url, {"receipt": idea.receipt.lower(), "reason": "本人来电"})

    assert response.status_code == 302
    idea.refresh_from_db()
    assert (idea.name, idea.phone) == ("", "")
    assert PersonalDataAccess.objects.get().detail == "本人来电"


def test_an_unknown_receipt_is_refused_politely(idea, personas, admin_client_of):
    client = admin_client_of(personas["admin"])

    response = client.post(reverse("admin:suggestions_personaldataaccess_erase"), {"receipt": "X"})

    assert response.status_code == 200
    assert "没有这个回执号的金点子" in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize("persona", ["screener_chengqu", "reviewer", "leader"])
def test_other_staff_cannot_open_the_erasure_page(idea, personas, admin_client_of, persona):
    client = admin_client_of(personas[persona])
    url = reverse("admin:suggestions_personaldataaccess_erase")

    assert client.post(url, {"receipt": idea.receipt}).status_code == 403
    idea.refresh_from_db()
    assert idea.phone == "13812345678"


def test_the_admin_action_erases_the_selected_ideas(units, campaign, personas, admin_client_of):
    chosen, kept = SuggestionFactory.create_batch(2, campaign=campaign, unit=units["城区"])
    client = admin_client_of(personas["admin"])

    response = client.post(
        reverse("admin:suggestions_suggestion_changelist"),
        {"action": "erase_contact_action", "_selected_action": [chosen.pk]},
    )

    assert response.status_code == 302
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.phone == "" and kept.phone == "13812345678"
    assert PersonalDataAccess.objects.filter(suggestion=chosen, action="erase").count() == 1


def test_only_city_administrators_are_offered_the_erase_action(
    units, campaign, personas, admin_client_of
):
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"])
    url = reverse("admin:suggestions_suggestion_changelist")

    screener = admin_client_of(personas["screener_chengqu"])
    assert "erase_contact_action" not in screener.get(url).content.decode()
    screener.post(url, {"action": "erase_contact_action", "_selected_action": [idea.pk]})

    idea.refresh_from_db()
    assert idea.phone == "13812345678"
    assert "erase_contact_action" in admin_client_of(personas["admin"]).get(url).content.decode()
