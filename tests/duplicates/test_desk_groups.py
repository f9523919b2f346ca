"""Groups screeners can trust, through the real desk URLs: why a member is in the group,
whole-group decisions confirmed member by member, the representative chosen by a screener,
and merge proposals instead of silent merges; always inside the screener's units."""

import pytest
from django.urls import reverse

from suggestions.duplicates.services import (
    suggestion_check_duplicates,
    suggestions_check_unchecked,
)
from suggestions.models import (
    DuplicateDecision,
    DuplicateMergeProposal,
    MergeProposalStatus,
    Status,
    Suggestion,
)

PARK = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，每个街道至少建设两处。"
PARK_2 = "建议在老城区增加口袋公园和健身跑道，方便居民就近锻炼，每个街道至少建两处。"
PARKING = "建议在医院周边建设立体停车场，缓解看病停车难，同时规范路边临时停车泊位。"
CHANGELIST = "admin:suggestions_suggestion_changelist"
PROPOSALS = "admin:suggestions_suggestion_duplicate_proposals"


def change_page(client, idea):
    response = client.get(reverse("admin:suggestions_suggestion_change", args=[idea.pk]))
    assert response.status_code == 200
    return response.content.decode()


def fresh(idea):
    return Suggestion.objects.get(pk=idea.pk)


# --- why a member is in the group ---------------------------------------------------------


def test_the_panel_marks_the_shared_text_and_gives_the_similarity_and_places(
    client, personas, make_idea
):
    first = make_idea("泽州县" + PARK, unit="城区")
    second = make_idea("泽州县" + PARK_2 + "谢谢", unit="城区")
    suggestions_check_unchecked()
    client.force_login(personas["screener_chengqu"])

    html = change_page(client, second)

    assert "为什么归为一组" in html
    assert "<mark>" in html
    assert "相似度 " in html and "本条地点：泽州县" in html and "该条地点：泽州县" in html
    assert first.receipt in html


def test_the_panel_escapes_the_ideas_text(client, personas, make_idea):
    attack = '<script>alert("x")</script><b onmouseover="y">'
    make_idea(PARK + attack, unit="城区")
    second = make_idea(PARK + attack + "谢谢！", unit="城区")
    suggestions_check_unchecked()
    client.force_login(personas["screener_chengqu"])

    html = change_page(client, second)

    assert "<script>alert" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html


def test_another_units_member_never_appears_in_the_why_panel(client, personas, make_idea):
    here = make_idea(PARK, unit="城区")
    elsewhere = make_idea(PARK_2 + "（泽州县的来信）", unit="泽州县", title="泽州县的标题")
    suggestions_check_unchecked()
    assert fresh(elsewhere).duplicate_of_id == here.pk
    client.force_login(personas["screener_chengqu"])

    html = change_page(client, here)

    assert elsewhere.receipt not in html
    assert "泽州县的来信" not in html and "健身跑道" not in html
    assert "为什么归为一组" not in html  # nothing of this unit's to explain
    assert "另有 1 条其他单位的相似建议" in html


# --- whole-group decisions: confirm the members first ------------------------------------


@pytest.fixture
def mixed_group(make_idea):
    """A group of three: two ideas of 城区 and one of 泽州县, and an unrelated idea."""
    ideas = {
        "first": make_idea(PARK, unit="城区"),
        "repeat_here": make_idea(PARK + "谢谢！", unit="北石店镇"),
        "repeat_elsewhere": make_idea(PARK_2, unit="泽州县", title="泽州县的标题"),
        "unrelated": make_idea(PARKING, unit="城区"),
    }
    suggestions_check_unchecked()
    assert fresh(ideas["repeat_elsewhere"]).duplicate_of_id == ideas["first"].pk
    return ideas


def test_a_group_decision_first_lists_the_members_and_their_units(client, personas, mixed_group):
    client.force_login(personas["screener_chengqu"])

    response = client.post(
        reverse(CHANGELIST),
        {"action": "shortlist_groups", "_selected_action": [mixed_group["first"].pk]},
    )

    assert response.status_code == 200
    html = response.content.decode()
    for key in ("first", "repeat_here"):
        assert mixed_group[key].receipt in html
        assert f'value="{mixed_group[key].pk}"' in html and "checked" in html
    assert "北石店镇" in html and "城区" in html
    assert mixed_group["repeat_elsewhere"].receipt not in html  # another unit's member
    assert "泽州县的标题" not in html
    assert mixed_group["unrelated"].receipt not in html
    assert set(Suggestion.objects.values_list("status", flat=True)) == {Status.COLLECTED}


def test_a_group_decision_leaves_out_the_members_the_screener_unticks(
    client, personas, mixed_group
):
    client.force_login(personas["screener_chengqu"])

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "shortlist_groups",
            "apply": "1",
            "_selected_action": [mixed_group["first"].pk],  # repeat_here unticked
        },
    )

    assert response.status_code == 302
    status = {key: fresh(idea).status for key, idea in mixed_group.items()}
    assert status == {
        "first": Status.SHORTLISTED,
        "repeat_here": Status.COLLECTED,
        "repeat_elsewhere": Status.COLLECTED,
        "unrelated": Status.COLLECTED,
    }


def test_a_group_decision_posted_with_another_units_idea_does_not_touch_it(
    client, personas, mixed_group
):
    client.force_login(personas["screener_chengqu"])

    client.post(
        reverse(CHANGELIST),
        {
            "action": "shortlist_groups",
            "apply": "1",
            "_selected_action": [mixed_group["first"].pk, mixed_group["repeat_elsewhere"].pk],
        },
    )

    assert fresh(mixed_group["first"]).status == Status.SHORTLISTED
    assert fresh(mixed_group["repeat_elsewhere"]).status == Status.COLLECTED


# --- the representative ------------------------------------------------------------------


def test_a_screener_chooses_the_representative_of_a_group_in_their_units(
    client, personas, make_idea
):
    first = make_idea(PARK, unit="城区")
    second = make_idea(PARK_2, unit="城区")
    third = make_idea(PARK + "谢谢！", unit="北石店镇")
    suggestions_check_unchecked()
    client.force_login(personas["screener_chengqu"])

    response = client.post(
        reverse(CHANGELIST),
        {"action": "set_duplicate_representative", "_selected_action": [second.pk]},
    )

    assert response.status_code == 302
    assert {fresh(i).duplicate_of_id for i in (first, second, third)} == {second.pk}
    assert fresh(second).duplicate_similarity is None
    assert 0 < fresh(first).duplicate_similarity <= 1
    decision = DuplicateDecision.objects.get()
    assert (decision.action, decision.from_representative_id, decision.to_representative_id) == (
        "represent",
        first.pk,
        second.pk,
    )


def test_the_representative_cannot_be_changed_over_another_units_member(
    client, personas, mixed_group
):
    client.force_login(personas["screener_chengqu"])

    client.post(
        reverse(CHANGELIST),
        {
            "action": "set_duplicate_representative",
            "_selected_action": [mixed_group["repeat_here"].pk],
        },
    )

    assert fresh(mixed_group["repeat_here"]).duplicate_of_id == mixed_group["first"].pk
    assert fresh(mixed_group["repeat_elsewhere"]).duplicate_of_id == mixed_group["first"].pk
    assert not DuplicateDecision.objects.exists()


def test_a_rebuild_keeps_the_chosen_representative(personas, make_idea, campaign):
    from suggestions.duplicates.decisions import duplicate_group_set_representative
    from suggestions.duplicates.rebuild import campaign_rebuild_duplicates

    first = make_idea(PARK, unit="城区")
    second = make_idea(PARK_2, unit="城区")
    suggestions_check_unchecked()
    duplicate_group_set_representative(suggestion=fresh(second), user=personas["screener_chengqu"])

    campaign_rebuild_duplicates(campaign=campaign)

    assert fresh(first).duplicate_of_id == fresh(second).duplicate_of_id == second.pk


# --- a later idea resembling two groups: a proposal, never a silent merge ----------------


@pytest.fixture
def bridge(make_idea):
    """Two different ideas, then a letter holding both: it resembles both groups."""
    park = make_idea(PARK, unit="城区")
    parking = make_idea(PARKING, unit="城区")
    suggestions_check_unchecked()
    letter = make_idea(PARK + PARKING, unit="城区")
    suggestion_check_duplicates(suggestion_id=letter.pk)
    return {"park": park, "parking": parking, "letter": letter}


def test_an_idea_resembling_two_groups_joins_one_and_proposes_the_other(bridge):
    park, parking, letter = bridge["park"], bridge["parking"], bridge["letter"]
    assert fresh(letter).duplicate_of_id == park.pk  # ties go to the earlier idea
    assert fresh(parking).duplicate_of_id == parking.pk  # not merged
    proposal = DuplicateMergeProposal.objects.get()
    assert (proposal.via_id, proposal.first_id, proposal.second_id) == (
        letter.pk,
        park.pk,
        parking.pk,
    )
    assert proposal.status == MergeProposalStatus.PENDING
    # Checking again proposes nothing new.
    suggestion_check_duplicates(suggestion_id=letter.pk)
    assert DuplicateMergeProposal.objects.count() == 1


def test_the_desk_shows_the_proposal_and_the_screener_accepts_it(client, personas, bridge):
    client.force_login(personas["screener_chengqu"])
    html = change_page(client, bridge["letter"])
    assert "合并建议待处理" in html
    assert "重复组合并建议" in client.get(reverse(CHANGELIST)).content.decode()

    page = client.get(reverse(PROPOSALS))
    assert page.status_code == 200
    html = page.content.decode()
    assert bridge["park"].receipt in html and bridge["parking"].receipt in html
    assert "<mark>" in html

    proposal = DuplicateMergeProposal.objects.get()
    response = client.post(reverse(PROPOSALS), {"proposal": proposal.pk, "op": "accept"})

    assert response.status_code == 302
    assert fresh(bridge["parking"]).duplicate_of_id == bridge["park"].pk
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.ACCEPTED
    assert proposal.decided_by == personas["screener_chengqu"]
    assert DuplicateDecision.objects.get().action == "merge"
    assert "没有待处理的合并建议" in client.get(reverse(PROPOSALS)).content.decode()


def test_a_rejected_proposal_keeps_the_groups_apart(client, personas, bridge):
    client.force_login(personas["screener_chengqu"])
    proposal = DuplicateMergeProposal.objects.get()

    client.post(reverse(PROPOSALS), {"proposal": proposal.pk, "op": "reject"})

    assert fresh(bridge["parking"]).duplicate_of_id == bridge["parking"].pk
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.REJECTED
    # Deciding again: already handled, so it is no longer offered.
    again = client.post(reverse(PROPOSALS), {"proposal": proposal.pk, "op": "accept"})
    assert again.status_code == 404
    assert fresh(bridge["parking"]).duplicate_of_id == bridge["parking"].pk


def test_another_units_screener_never_sees_or_decides_the_proposal(client, personas, bridge):
    client.force_login(personas["screener_zezhou"])
    proposal = DuplicateMergeProposal.objects.get()

    html = client.get(reverse(PROPOSALS)).content.decode()
    for idea in bridge.values():
        assert idea.receipt not in html
    response = client.post(reverse(PROPOSALS), {"proposal": proposal.pk, "op": "accept"})

    assert response.status_code == 404
    assert fresh(bridge["parking"]).duplicate_of_id == bridge["parking"].pk
    assert DuplicateMergeProposal.objects.get().status == MergeProposalStatus.PENDING


def test_a_proposal_whose_group_holds_another_units_idea_is_hidden_from_a_screener(
    client, personas, make_idea
):
    park = make_idea(PARK, unit="城区")
    make_idea(PARK_2, unit="泽州县", title="泽州县的标题")  # joins park's group
    parking = make_idea(PARKING, unit="城区")
    suggestions_check_unchecked()
    letter = make_idea(PARK + PARKING, unit="城区")
    suggestion_check_duplicates(suggestion_id=letter.pk)
    proposal = DuplicateMergeProposal.objects.get()

    client.force_login(personas["screener_chengqu"])
    html = client.get(reverse(PROPOSALS)).content.decode()
    assert park.receipt not in html and "泽州县的标题" not in html
    assert "合并建议待处理" not in change_page(client, letter)
    assert (
        client.post(reverse(PROPOSALS), {"proposal": proposal.pk, "op": "accept"}).status_code
        == 404
    )
    assert fresh(parking).duplicate_of_id == parking.pk

    client.force_login(personas["reviewer"])  # a city role sees the whole picture
    assert park.receipt in client.get(reverse(PROPOSALS)).content.decode()


def test_a_leader_may_read_proposals_but_not_decide(client, personas, bridge):
    client.force_login(personas["leader"])
    proposal = DuplicateMergeProposal.objects.get()
    html = client.get(reverse(PROPOSALS)).content.decode()
    assert 'value="accept"' not in html

    response = client.post(reverse(PROPOSALS), {"proposal": proposal.pk, "op": "accept"})

    assert response.status_code == 403
    assert DuplicateMergeProposal.objects.get().status == MergeProposalStatus.PENDING


@pytest.mark.parametrize("bad", ["", "abc", "-1", "99999999999999999999", "１２"])
def test_a_bad_proposal_id_is_a_clean_404(client, personas, bridge, bad):
    client.force_login(personas["screener_chengqu"])
    response = client.post(reverse(PROPOSALS), {"proposal": bad, "op": "accept"})
    assert response.status_code == 404


def test_the_confirmation_page_does_not_name_another_units_representative(
    client, personas, make_idea
):
    elsewhere = make_idea(PARK, unit="泽州县", title="泽州县的标题")
    here = make_idea(PARK_2, unit="城区")
    suggestions_check_unchecked()
    assert fresh(here).duplicate_of_id == elsewhere.pk
    client.force_login(personas["screener_chengqu"])

    response = client.post(
        reverse(CHANGELIST), {"action": "shortlist_groups", "_selected_action": [here.pk]}
    )

    html = response.content.decode()
    assert here.receipt in html
    assert elsewhere.receipt not in html and "泽州县的标题" not in html
    assert "代表为其他单位的建议" in html
