import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_fits_a_360_pixel_phone(live_server, page, campaign):
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(live_server.url + "/")

    assert page.get_by_role("heading", level=1).inner_text() == campaign.name
    button = page.get_by_role("link", name="我要提金点子")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    # No horizontal scrolling on a narrow phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
