"""The implementation desk in admin, driven through the real URLs as staff use it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from suggestions.common.rules import Actor
from suggestions.models import (
    Implementation,
    ImplementationChange,
    ImplementationStatus,
    Status,
)
from suggestions.screening.workflow import suggestion_transition
from tests.factories import SuggestionFactory
from tests.implementation.conftest import today

St = ImplementationStatus
CHANGELIST = reverse("admin:suggestions_implementation_changelist")


def change_url(impl):
    return reverse("admin:suggestions_implementation_change", args=[impl.pk])


def act_url(impl):
    return reverse("admin:suggestions_implementation_act", args=[impl.pk])


@pytest.fixture
def login(client, personas):
    def as_(role):
        client.force_login(personas[role])
        return client

    return as_


def _act(client, impl, action, **data):
    impl.refresh_from_db()
    return client.post(
        act_url(impl),
        {"action": action, "seen_status": impl.status, "seen_version": impl.version, **data},
    )


def test_a_reviewer_opens_adopts_and_assigns_through_the_desk(login, campaign, units, personas):
    idea = SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status=Status.SHORTLISTED)
    suggestion_transition(
        suggestion=idea, to_status=Status.EXCELLENT, actor=Actor.of(personas["reviewer"])
    )
    client = login("reviewer")

    html = client.get(CHANGELIST).content.decode()
    impl = Implementation.objects.get(suggestion=idea)  # opened by the rating
    assert idea.receipt in html and "待研究" in html

    assert _act(client, impl, "adopt", note="采纳").status_code == 302
    response = _act(
        client,
        impl,
        "assign",
        lead_unit=units["城区"].pk,
        co_units=[units["市文化和旅游局"].pk],
        due_date=(today() + timedelta(days=30)).isoformat(),
    )
    assert response.status_code == 302
    impl.refresh_from_db()
    assert (impl.status, impl.lead_unit) == (St.ASSIGNED, units["城区"])


def test_a_past_due_date_is_refused_with_a_message_and_nothing_stored(login, impl_factory, units):
    impl = impl_factory(status=St.ADOPTED)
    client = login("reviewer")
    response = _act(
        client,
        impl,
        "assign",
        lead_unit=units["城区"].pk,
        due_date=(today() - timedelta(days=1)).isoformat(),
    )
    page = client.get(response.url).content.decode()
    assert "办结期限不能早于今天" in page
    assert Implementation.objects.get(pk=impl.pk).status == St.ADOPTED
    assert not ImplementationChange.objects.exists()


def test_lead_unit_staff_see_ideas_assigned_to_them_from_other_units_with_contact_masked(
    login, impl_factory
):
    impl = impl_factory(status=St.ASSIGNED, unit="巴公镇", lead="城区", phone="13912345678")
    client = login("screener_chengqu")

    assert impl.suggestion.receipt in client.get(CHANGELIST).content.decode()
    html = client.get(change_url(impl)).content.decode()
    assert "139****5678" in html and "张*" in html
    assert "13912345678" not in html and "张三" not in html

    _act(client, impl, "progress", percent="40", note="已开工", public="on")
    impl.refresh_from_db()
    assert (impl.status, impl.percent) == (St.IN_PROGRESS, 40)


def test_another_units_staff_cannot_see_or_act_on_an_assignment(login, impl_factory):
    impl = impl_factory(status=St.ASSIGNED, unit="城区", lead="城区")
    client = login("screener_zezhou")

    assert impl.suggestion.receipt not in client.get(CHANGELIST).content.decode()
    assert client.get(change_url(impl)).status_code in (302, 404)
    response = client.post(
        act_url(impl),
        {"action": "progress", "seen_version": 0, "percent": "10", "note": "越权"},
    )
    assert response.status_code == 404
    assert Implementation.objects.get(pk=impl.pk).percent == 0


def test_the_ideas_own_unit_sees_it_but_cannot_update(login, impl_factory):
    impl = impl_factory(status=St.ASSIGNED, unit="巴公镇", lead="城区")
    client = login("screener_zezhou")
    assert client.get(change_url(impl)).status_code == 200
    _act(client, impl, "progress", percent="10", note="越权")
    assert Implementation.objects.get(pk=impl.pk).percent == 0
    assert not ImplementationChange.objects.exists()


def test_a_stale_form_is_told_someone_else_acted(login, impl_factory):
    impl = impl_factory(status=St.IN_PROGRESS, percent=10)
    client = login("screener_chengqu")
    stale = {"action": "progress", "seen_status": impl.status, "seen_version": 0, "note": "甲"}
    client.post(act_url(impl), {**stale, "percent": "30"})
    response = client.post(act_url(impl), {**stale, "percent": "50", "note": "乙"})
    assert "请刷新后再操作" in client.get(response.url).content.decode()
    assert Implementation.objects.get(pk=impl.pk).percent == 30


def test_the_overdue_filter_lists_only_late_open_work(login, impl_factory):
    late = impl_factory(status=St.IN_PROGRESS)
    Implementation.objects.filter(pk=late.pk).update(due_date=today() - timedelta(days=2))
    on_time = impl_factory(status=St.IN_PROGRESS)
    done_late = impl_factory(status=St.COMPLETED)
    Implementation.objects.filter(pk=done_late.pk).update(due_date=today() - timedelta(days=2))

    html = login("reviewer").get(CHANGELIST, {"overdue": "yes"}).content.decode()
    assert late.suggestion.receipt in html
    assert on_time.suggestion.receipt not in html and done_late.suggestion.receipt not in html


def test_bulk_adopt_reports_changed_and_refused(login, impl_factory):
    pending = impl_factory()
    done = impl_factory(status=St.CONFIRMED)
    client = login("reviewer")
    client.post(CHANGELIST, {"action": "adopt", "_selected_action": [pending.pk, done.pk]})
    assert Implementation.objects.get(pk=pending.pk).status == St.ADOPTED
    assert Implementation.objects.get(pk=done.pk).status == St.CONFIRMED


def test_leaders_read_the_desk_but_cannot_act(login, impl_factory):
    impl = impl_factory()
    client = login("leader")
    assert client.get(CHANGELIST).status_code == 200
    html = client.get(change_url(impl)).content.decode()
    assert "您当前不能对这条金点子进行操作" in html
    _act(client, impl, "adopt")
    client.post(CHANGELIST, {"action": "adopt", "_selected_action": [impl.pk]})
    assert Implementation.objects.get(pk=impl.pk).status == St.PENDING


def test_a_forged_form_is_refused_without_a_server_error(login, impl_factory):
    impl = impl_factory()
    client = login("reviewer")
    for data in (
        {"action": "adopt", "seen_status": "bogus", "seen_version": 0},
        {"action": "adopt", "seen_status": "pending", "seen_version": "x"},
        {"action": "explode", "seen_status": "pending", "seen_version": 0},
        {"action": "assign", "seen_status": "pending", "seen_version": 0, "due_date": "bad"},
    ):
        assert client.post(act_url(impl), data).status_code in (302, 403)
    assert Implementation.objects.get(pk=impl.pk).status == St.PENDING


def test_administrators_read_the_reminders_sent_and_unit_staff_do_not(login, units):
    from suggestions.models import ImplementationReminder

    ImplementationReminder.objects.create(unit=units["城区"], day=today(), overdue=2)
    url = reverse("admin:suggestions_implementationreminder_changelist")
    assert "城区" in login("admin").get(url).content.decode()
    assert login("screener_chengqu").get(url).status_code == 403


def _message_after(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("status", "action", "data", "message"),
    [
        (St.IN_PROGRESS, "progress", {"percent": "150", "note": "进展"}, "0 到 100"),
        (St.IN_PROGRESS, "progress", {"percent": "-5", "note": "进展"}, "0 到 100"),
        (St.IN_PROGRESS, "progress", {"percent": "abc", "note": "进展"}, "填写有误"),
        (St.IN_PROGRESS, "progress", {"percent": "", "note": "进展"}, "请填写进度"),
        (St.IN_PROGRESS, "progress", {"percent": "5", "note": "进展"}, "需要说明原因"),
        (St.IN_PROGRESS, "progress", {"percent": "5", "note": "进展", "reason": " "}, "原因"),
        (St.IN_PROGRESS, "complete", {"note": "   "}, "办结说明"),
        (St.ASSIGNED, "complete", {}, "办结说明"),
    ],
)
def test_bad_progress_and_completion_are_told_in_chinese_and_nothing_is_stored(
    status, action, data, message, login, impl_factory
):
    impl = impl_factory(status=status, percent=30 if status == St.IN_PROGRESS else 0)
    client = login("screener_chengqu")
    html = _message_after(client, _act(client, impl, action, **data))
    assert message in html
    after = Implementation.objects.get(pk=impl.pk)
    assert (after.status, after.percent, after.version) == (impl.status, impl.percent, 0)
    assert not ImplementationChange.objects.exists()


@pytest.mark.parametrize("which", ["lead", "co"])
def test_assigning_to_a_retired_unit_through_the_desk_is_refused(which, login, impl_factory, units):
    impl = impl_factory(status=St.ADOPTED)
    retired = units["泽州县"]
    retired.is_active = False
    retired.save()
    data = {"due_date": (today() + timedelta(days=30)).isoformat()}
    if which == "lead":
        data["lead_unit"] = retired.pk
    else:
        data.update(lead_unit=units["城区"].pk, co_units=[retired.pk])
    client = login("reviewer")
    html = _message_after(client, _act(client, impl, "assign", **data))
    # The form offers active units only: a retired one is refused as an invalid choice.
    assert "填写有误" in html
    impl.refresh_from_db()
    assert (impl.status, impl.lead_unit, impl.version) == (St.ADOPTED, None, 0)
    assert not ImplementationChange.objects.exists()
