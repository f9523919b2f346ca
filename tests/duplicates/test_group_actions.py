"""A screener's decision on a representative applies to its whole group, unit-scoped."""

import re

from django.urls import reverse

from suggestions.duplicates.services import suggestions_check_unchecked
from suggestions.models import Status, Suggestion

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"
PARK_2 = "建议在老城区增加口袋公园和健身跑道，方便居民就近锻炼，每个街道至少建两处。"
PARKING = "建议在医院周边建设立体停车场，缓解看病停车难，同时规范路边临时停车泊位。"
CHANGELIST = "admin:suggestions_suggestion_changelist"


def test_shortlisting_a_representative_shortlists_its_group_in_the_screeners_units(
    client, personas, make_idea
):
    first = make_idea(PARK, unit="城区")
    repeat_here = make_idea(PARK + "谢谢！", unit="北石店镇")
    repeat_elsewhere = make_idea(PARK_2, unit="泽州县")
    unrelated = make_idea(PARKING, unit="城区")
    suggestions_check_unchecked()
    assert Suggestion.objects.get(pk=repeat_elsewhere.pk).duplicate_of_id == first.pk
    client.force_login(personas["screener_chengqu"])

    # First the members to confirm (each ticked), then the decision on the ticked ones.
    page = client.post(
        reverse(CHANGELIST), {"action": "shortlist_groups", "_selected_action": [first.pk]}
    )
    assert page.status_code == 200
    ticked = [int(v) for v in re.findall(r'name="_selected_action" value="(\d+)"', page.text)]
    assert sorted(ticked) == [first.pk, repeat_here.pk]
    response = client.post(
        reverse(CHANGELIST),
        {"action": "shortlist_groups", "apply": "1", "_selected_action": ticked},
    )

    assert response.status_code == 302
    status = dict(Suggestion.objects.values_list("pk", "status"))
    assert status[first.pk] == status[repeat_here.pk] == Status.SHORTLISTED
    assert status[repeat_elsewhere.pk] == Status.COLLECTED  # another unit's idea
    assert status[unrelated.pk] == Status.COLLECTED


def test_the_group_actions_are_offered_by_stage(client, personas, make_idea):
    make_idea(PARK, unit="城区")
    page = reverse(CHANGELIST)

    client.force_login(personas["screener_chengqu"])
    html = client.get(page).content.decode()
    assert "shortlist_groups" in html and "mark_excellent_groups" not in html

    client.force_login(personas["reviewer"])
    html = client.get(page).content.decode()
    assert "mark_excellent_groups" in html and "shortlist_groups" not in html

    client.force_login(personas["leader"])
    html = client.get(page).content.decode()
    assert "shortlist_groups" not in html and "mark_excellent_groups" not in html
