import pytest
from django.core.cache import cache
from django.urls import reverse

from suggestions.models import Status, Suggestion
from tests.tallies.conftest import make_ideas, move


@pytest.fixture
def published(units, campaign, personas, settled):
    cache.clear()
    ideas = make_ideas(campaign, units["东街街道"], 3) + make_ideas(campaign, units["泽州县"], 1)
    Suggestion.objects.filter(pk__in=[ideas[0].pk, ideas[3].pk]).update(publish_consent=True)
    Suggestion.objects.filter(pk=ideas[0].pk).update(
        title="公开的好点子", name="李四", phone="13700001111"
    )
    move(ideas, Status.SHORTLISTED, personas["admin"])
    move([ideas[0], ideas[1], ideas[3]], Status.EXCELLENT, personas["admin"])
    return ideas


def test_nothing_is_shown_before_results_are_published(client, campaign, published):
    html = client.get(reverse("tallies:showcase")).content.decode()
    assert 'id="showcase-empty"' in html and "公开的好点子" not in html


def test_only_consenting_excellent_ideas_without_contact(client, campaign, published, units):
    campaign.results_published = True
    campaign.save()
    html = client.get(reverse("tallies:showcase")).content.decode()
    assert "公开的好点子" in html
    assert published[1].title not in html  # excellent but no consent
    assert published[2].title not in html  # consent not given, not excellent
    assert "李四" not in html and "13700001111" not in html
    totals = html.split('id="showcase-totals"')[1].split("</form>")[0]
    assert 'fw-bold">4</div>' in totals  # collected, from the aggregation module
    assert 'text-success">3</div>' in totals  # excellent

    html = client.get(reverse("tallies:showcase"), {"unit": units["泽州县"].pk}).content.decode()
    assert "公开的好点子" not in html and published[3].title in html


def test_campaign_sized_totals_read_with_thousands_separators(rf):
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    data = SimpleNamespace(
        totals=SimpleNamespace(total=38517, excellent=1384), count=1203, ideas=[], page=1, pages=1
    )
    html = render_to_string(
        "tallies/showcase.html",
        {"data": data, "campaign": SimpleNamespace(name="金点子"), "units": [], "topics": []},
        request=rf.get("/ideas/"),
    )
    totals = html.split('id="showcase-totals"')[1].split("</form>")[0]
    assert ">38,517<" in totals and ">1,384<" in totals and ">1,203<" in totals
