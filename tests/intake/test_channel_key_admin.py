import re

import pytest
from django.contrib.auth import get_user_model

from suggestions.models import ChannelKey
from units.roles import Role, assign_role

pytestmark = pytest.mark.django_db

ADMIN = "/admin/suggestions/channelkey/"


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_user(username="keyadmin", password=None, is_staff=True)
    assign_role(user=user, role=Role.ADMINISTRATOR)
    client.force_login(user)
    return client


def test_an_administrator_creates_a_key_that_is_shown_once_and_stored_hashed(admin_client):
    response = admin_client.post(f"{ADMIN}add/", {"name": "wechat", "channel": "mini_program"})

    html = response.content.decode()
    raw = re.search(r"jck_[A-Za-z0-9_\-]+", html).group(0)
    key = ChannelKey.objects.get()
    assert key.created_by.username == "keyadmin" and raw.startswith(key.prefix)
    assert raw not in key.key_hash
    assert raw not in response.cookies.output()  # not carried in a cookie either
    again = admin_client.get(f"{ADMIN}{key.pk}/change/").content.decode()
    assert raw not in again  # never shown again
    assert raw not in admin_client.get(ADMIN).content.decode()


def test_an_administrator_revokes_a_key(admin_client, client):
    admin_client.post(f"{ADMIN}add/", {"name": "wechat", "channel": "mini_program"})
    key = ChannelKey.objects.get()

    admin_client.post(ADMIN, {"action": "revoke", "_selected_action": [key.pk]})

    key.refresh_from_db()
    assert key.is_revoked
