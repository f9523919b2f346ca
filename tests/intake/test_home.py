from django.urls import reverse


def test_home_page_names_the_campaign_in_chinese(client, campaign):
    response = client.get(reverse("suggestions:home"))

    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-Hans">' in body
    assert campaign.name in body
    assert "我要提金点子" in body
    assert reverse("suggestions:submit") in body
    assert 'name="viewport"' in body


def test_home_page_speaks_english_after_the_language_switch(client, campaign):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302

    body = client.get(reverse("suggestions:home")).content.decode()

    assert '<html lang="en">' in body
    assert "Submit an idea" in body
    assert "我要提金点子" not in body


def test_home_page_follows_the_browser_language(client, campaign):
    body = client.get(reverse("suggestions:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Submit an idea" in body


def test_home_page_works_before_any_campaign_exists(client, db):
    response = client.get(reverse("suggestions:home"))

    assert response.status_code == 200
    assert "晋城市金点子征集" in response.content.decode()


def test_the_staff_desk_is_named_for_the_campaign(client, personas):
    client.force_login(personas["screener_chengqu"])

    body = client.get("/admin/").content.decode()

    assert "晋城金点子 · 筛选工作台" in body
    assert "Django 管理" not in body
