import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse

from suggestions.models import Status, StatusChange
from suggestions.screening.workflow import Actor, suggestion_transition


@pytest.fixture
def change(idea_factory, personas):
    return suggestion_transition(
        suggestion=idea_factory(unit="城区"),
        to_status=Status.SHORTLISTED,
        actor=Actor.of(personas["screener_chengqu"]),
    )


def test_history_cannot_be_changed_or_deleted_in_admin_even_by_the_administrator(
    client, personas, change
):
    client.force_login(personas["admin"])
    url = reverse("admin:suggestions_statuschange_change", args=[change.pk])
    page = client.get(url)
    assert page.status_code == 200  # view only
    client.post(url, {"reason": "rewritten", "to_status": "excellent"})
    delete = reverse("admin:suggestions_statuschange_delete", args=[change.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:suggestions_statuschange_add")).status_code == 403
    response = client.post(
        reverse("admin:suggestions_statuschange_changelist"),
        {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    row = StatusChange.objects.get()
    assert (row.reason, row.to_status) == ("", "shortlisted")


def test_history_refuses_raw_sql_updates_on_postgresql(change):
    if connection.vendor != "postgresql":
        pytest.skip("the database trigger is PostgreSQL only")
    with (
        pytest.raises((InternalError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE suggestions_statuschange SET reason = 'x'")
    with (
        pytest.raises((InternalError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM suggestions_statuschange")
    assert StatusChange.objects.get().reason == ""
