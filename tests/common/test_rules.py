"""The permission rules as a role x rule matrix: every predicate, every persona."""

import pytest

from suggestions.common import rules
from suggestions.common.rules import Actor
from suggestions.models import Status
from tests.factories import SuggestionFactory

# persona -> the rules it passes for a collected idea of 城区 (and the 城区 unit)
EXPECTED = {
    "screener_chengqu": {"screen_stage1", "decide_stage1", "report", "view_contact", "dashboard"},
    "screener_zezhou": {"screen_stage1", "view_contact", "dashboard"},
    "reviewer": {
        "decide_stage2",
        "score",
        "see_scores",
        "undo_stage1",
        "view_contact",
        "dashboard",
    },
    "leader": {"dashboard"},
    "admin": {
        "screen_stage1",
        "decide_stage1",
        "report",
        "reopen_report",
        "decide_stage2",
        "score",
        "see_scores",
        "undo_stage1",
        "undo_stage2",
        "administer",
        "view_contact",
        "dashboard",
    },
}


def _passes(user, idea, unit) -> set[str]:
    actor = Actor.of(user)
    checks = {
        "screen_stage1": rules.can_screen_stage1(actor),
        "decide_stage1": rules.can_decide_stage1(actor, idea),
        "report": rules.can_report(actor, unit),
        "reopen_report": rules.can_reopen_report(actor),
        "decide_stage2": rules.can_decide_stage2(actor),
        "score": rules.can_score(actor),
        "see_scores": rules.can_see_scores(actor),
        "undo_stage1": rules.can_undo_stage1(actor),
        "undo_stage2": rules.can_undo_stage2(actor),
        "administer": rules.can_administer(user),
        "view_contact": rules.can_view_contact(user),
        "dashboard": rules.can_view_dashboard(user),
    }
    return {name for name, passed in checks.items() if passed}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_role_passes_exactly_its_rules(personas, units, campaign, persona):
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"])
    assert _passes(personas[persona], idea, units["城区"]) == EXPECTED[persona]


def test_a_town_idea_belongs_to_its_county_screener(personas, units, campaign):
    town = next(u for u in units.values() if u.parent_id == units["城区"].pk)
    idea = SuggestionFactory(campaign=campaign, unit=town)
    assert rules.can_decide_stage1(Actor.of(personas["screener_chengqu"]), idea)
    assert not rules.can_decide_stage1(Actor.of(personas["screener_zezhou"]), idea)


def test_only_a_shortlisted_idea_can_be_scored(personas, units, campaign):
    reviewer = Actor.of(personas["reviewer"])
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"])
    assert not rules.can_score(reviewer, idea)
    idea.status = Status.SHORTLISTED
    assert rules.can_score(reviewer, idea)


def test_an_inactive_or_anonymous_user_passes_nothing(personas, units, campaign):
    from django.contrib.auth.models import AnonymousUser

    admin = personas["admin"]
    admin.is_active = False
    idea = SuggestionFactory(campaign=campaign, unit=units["城区"])
    for user in (admin, AnonymousUser()):
        assert _passes(user, idea, units["城区"]) == set()


def test_the_dashboard_needs_its_permission(client, django_user_model, campaign):
    """Staff without view_dashboard are refused, not shown an empty dashboard."""
    user = django_user_model.objects.create_user("no_roles", password="x" * 12, is_staff=True)
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 403


def test_the_former_notifier_path_still_loads(settings):
    from suggestions.screening.notifications import LogNotifier, notifier_get

    settings.PORTAL_NOTIFIER = "suggestions.notifications.LogNotifier"
    assert isinstance(notifier_get(), LogNotifier)
