"""The implementation workflow's rules, history, bad input and concurrency."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, connections, transaction

from suggestions.common.rules import Actor
from suggestions.implementation.workflow import (
    AlreadyChanged,
    TransitionRefused,
    implementation_adopt,
    implementation_assign,
    implementation_complete,
    implementation_confirm,
    implementation_ensure,
    implementation_not_adopt,
    implementation_progress,
    implementation_reply_publish,
    implementation_send_back,
    implementations_open,
)
from suggestions.models import (
    Implementation,
    ImplementationChange,
    ImplementationStatus,
    Status,
)
from tests.factories import SuggestionFactory
from tests.implementation.conftest import today

St = ImplementationStatus


@pytest.fixture
def actors(personas):
    return {role: Actor.of(user) for role, user in personas.items()}


def test_the_whole_journey_leaves_an_unbroken_public_history(impl_factory, actors, units):
    impl = impl_factory()
    implementation_adopt(implementation=impl, actor=actors["reviewer"], note="很有价值")
    implementation_assign(
        implementation=impl,
        actor=actors["reviewer"],
        lead_unit=units["城区"],
        co_units=[units["市文化和旅游局"]],
        due_date=today() + timedelta(days=60),
    )
    lead = actors["screener_chengqu"]
    implementation_progress(implementation=impl, actor=lead, percent=40, note="已完成选址")
    implementation_progress(
        implementation=impl, actor=lead, percent=60, note="内部讨论", public=False
    )
    implementation_complete(implementation=impl, actor=lead, note="口袋公园已建成开放")
    implementation_send_back(implementation=impl, actor=actors["reviewer"], reason="缺照片")
    implementation_complete(implementation=impl, actor=lead, note="补充了照片")
    implementation_confirm(implementation=impl, actor=actors["admin"])

    impl.refresh_from_db()
    assert (impl.status, impl.percent, impl.version) == (St.CONFIRMED, 100, 8)
    assert list(impl.co_units.values_list("name", flat=True)) == ["市文化和旅游局"]
    chain = list(impl.history.values_list("from_status", "to_status", "public"))
    current = St.PENDING
    for frm, to, _public in chain:
        assert frm == current
        current = to
    assert current == St.CONFIRMED
    assert [public for *_, public in chain] == [True, True, True, False, True, False, True, True]


def test_not_adopting_needs_a_reason(impl_factory, actors):
    impl = impl_factory()
    with pytest.raises(TransitionRefused, match="暂不采纳需要填写理由"):
        implementation_not_adopt(implementation=impl, actor=actors["reviewer"], reason="  ")
    change = implementation_not_adopt(
        implementation=impl, actor=actors["reviewer"], reason="已有同类项目在建"
    )
    assert change.note == "已有同类项目在建" and change.public


def test_only_excellent_ideas_are_adopted(impl_factory, actors):
    impl = impl_factory(idea_status=Status.SHORTLISTED)
    with pytest.raises(TransitionRefused, match="只有优秀金点子"):
        implementation_adopt(implementation=impl, actor=actors["admin"])


@pytest.mark.parametrize(
    ("lead", "due_in_days", "message"),
    [
        (None, 10, "请选择承办单位"),
        ("retired", 10, "已停用"),
        ("城区", -1, "不能早于今天"),
        ("城区", None, "请填写办结期限"),
    ],
)
def test_assignment_refuses_bad_input_and_stores_nothing(
    lead, due_in_days, message, impl_factory, actors, units
):
    impl = impl_factory(status=St.ADOPTED)
    unit = units["城区"] if lead == "城区" else None
    if lead == "retired":
        unit = units["泽州县"]
        unit.is_active = False
        unit.save()
    due = None if due_in_days is None else today() + timedelta(days=due_in_days)
    with pytest.raises(TransitionRefused, match=message):
        implementation_assign(
            implementation=impl, actor=actors["reviewer"], lead_unit=unit, due_date=due
        )
    impl.refresh_from_db()
    assert (impl.status, impl.lead_unit, impl.version) == (St.ADOPTED, None, 0)
    assert not ImplementationChange.objects.exists()


def test_a_due_date_of_today_is_accepted(impl_factory, actors, units):
    impl = impl_factory(status=St.ADOPTED)
    implementation_assign(
        implementation=impl, actor=actors["reviewer"], lead_unit=units["城区"], due_date=today()
    )
    assert impl.status == St.ASSIGNED and impl.lead_unit == units["城区"]


@pytest.mark.parametrize(
    ("percent", "reason", "message"),
    [
        (101, "", "0 到 100"),
        (-1, "", "0 到 100"),
        (None, "", "请填写进度"),
        ("50", "", "请填写进度"),
        (10, "", "需要说明原因"),
        (10, "   ", "需要说明原因"),
        (True, "", "请填写进度"),
        (50.5, "", "请填写进度"),
    ],
)
def test_progress_refuses_bad_percentages(percent, reason, message, impl_factory, actors):
    impl = impl_factory(status=St.IN_PROGRESS, percent=30)
    with pytest.raises(TransitionRefused, match=message):
        implementation_progress(
            implementation=impl,
            actor=actors["screener_chengqu"],
            percent=percent,
            note="进展",
            reason=reason,
        )
    impl.refresh_from_db()
    assert (impl.percent, impl.version) == (30, 0)
    assert not ImplementationChange.objects.exists()


def test_progress_may_go_back_with_a_reason_which_is_recorded(impl_factory, actors):
    impl = impl_factory(status=St.IN_PROGRESS, percent=30)
    change = implementation_progress(
        implementation=impl,
        actor=actors["screener_chengqu"],
        percent=10,
        note="重新测算",
        reason="原方案被否",
    )
    assert impl.percent == 10 and change.percent == 10
    assert "原方案被否" in change.note


@pytest.mark.parametrize("note", ["", "  \n\t "])
def test_completing_needs_a_final_note(note, impl_factory, actors):
    impl = impl_factory(status=St.IN_PROGRESS, percent=80)
    with pytest.raises(TransitionRefused, match="办结说明"):
        implementation_complete(implementation=impl, actor=actors["screener_chengqu"], note=note)
    after = Implementation.objects.get(pk=impl.pk)
    assert (after.status, after.percent, after.version) == (St.IN_PROGRESS, 80, 0)
    assert not ImplementationChange.objects.exists()


def test_co_unit_and_idea_unit_staff_read_but_do_not_update(impl_factory, actors, units):
    impl = impl_factory(status=St.ASSIGNED, lead="市文化和旅游局")
    impl.co_units.add(units["城区"])
    for role in ("screener_chengqu", "screener_zezhou", "leader", "reviewer"):
        with pytest.raises(TransitionRefused, match="承办单位的工作人员"):
            implementation_progress(
                implementation=impl, actor=actors[role], percent=10, note="进展"
            )


def test_a_stale_page_is_told_who_changed_it_and_nothing_is_stored(impl_factory, actors):
    impl = impl_factory(status=St.IN_PROGRESS, percent=20)
    first = Implementation.objects.get(pk=impl.pk)
    second = Implementation.objects.get(pk=impl.pk)
    implementation_progress(
        implementation=first, actor=actors["screener_chengqu"], percent=50, note="甲"
    )
    with pytest.raises(AlreadyChanged, match="screener_chengqu"):
        implementation_progress(implementation=second, actor=actors["admin"], percent=60, note="乙")
    impl.refresh_from_db()
    assert (impl.percent, impl.version) == (50, 1)
    assert list(ImplementationChange.objects.values_list("note", flat=True)) == ["甲"]


def test_a_failure_after_the_update_stores_nothing(impl_factory, actors):
    impl = impl_factory(status=St.IN_PROGRESS, percent=20)
    with (
        mock.patch.object(
            ImplementationChange.objects, "create", side_effect=IntegrityError("boom")
        ),
        pytest.raises(IntegrityError),
    ):
        implementation_progress(
            implementation=impl, actor=actors["screener_chengqu"], percent=50, note="甲"
        )
    current = Implementation.objects.get(pk=impl.pk)
    assert (current.percent, current.version, current.status) == (20, 0, St.IN_PROGRESS)


def test_the_reply_is_recorded_with_its_approver(impl_factory, actors, personas):
    impl = impl_factory(status=St.ADOPTED)
    with pytest.raises(TransitionRefused, match="答复内容"):
        implementation_reply_publish(implementation=impl, actor=actors["reviewer"], text=" ")
    with pytest.raises(TransitionRefused):
        implementation_reply_publish(
            implementation=impl, actor=actors["screener_chengqu"], text="答复"
        )
    implementation_reply_publish(implementation=impl, actor=actors["reviewer"], text="感谢建议")
    impl.refresh_from_db()
    assert impl.reply_text == "感谢建议" and impl.reply_public
    assert impl.reply_approved_by == personas["reviewer"] and impl.reply_approved_at
    assert impl.status == St.ADOPTED


def test_notices_are_queued_on_commit_for_adoption_confirmation_and_reply(
    impl_factory, actors, django_capture_on_commit_callbacks
):
    impl = impl_factory()
    with (
        mock.patch("suggestions.implementation.workflow.task_publish") as publish,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        implementation_adopt(implementation=impl, actor=actors["reviewer"])
        implementation_reply_publish(implementation=impl, actor=actors["reviewer"], text="答复")
    assert len(callbacks) == 2
    assert [c.args[0] for c in publish.call_args_list] == ["suggestions.implementation_notify"] * 2


def test_ensure_and_open_create_one_pending_record_per_excellent_idea(campaign, units):
    excellent = [
        SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.EXCELLENT)
        for _ in range(3)
    ]
    SuggestionFactory(campaign=campaign, unit=units["城区"], status=Status.SHORTLISTED)
    implementation_ensure(suggestion=excellent[0])
    assert implementations_open() == 2
    assert implementations_open() == 0
    assert set(Implementation.objects.values_list("status", flat=True)) == {St.PENDING}
    assert Implementation.objects.count() == 3


def test_the_database_refuses_a_percentage_outside_0_to_100(impl_factory):
    impl = impl_factory(status=St.IN_PROGRESS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Implementation.objects.filter(pk=impl.pk).update(percent=101)


def test_history_rows_cannot_be_rewritten(impl_factory, actors):
    impl = impl_factory()
    change = implementation_adopt(implementation=impl, actor=actors["reviewer"])
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        ImplementationChange.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_two_staff_updating_at_once_one_wins_the_other_is_told(campaign, units, personas):
    idea = SuggestionFactory(campaign=campaign, unit=units["巴公镇"], status=Status.EXCELLENT)
    impl = Implementation.objects.create(
        suggestion=idea,
        campaign=campaign,
        status=St.IN_PROGRESS,
        lead_unit=units["城区"],
        due_date=today() + timedelta(days=9),
        percent=10,
    )
    actors = [Actor.of(personas["screener_chengqu"]), Actor.of(personas["admin"])]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def update(i):
        try:
            seen = Implementation.objects.get(pk=impl.pk)
            barrier.wait()
            results[i] = implementation_progress(
                implementation=seen, actor=actors[i], percent=50 + i, note=f"更新{i}"
            )
        except Exception as exc:  # asserted below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=update, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [r for r in results if isinstance(r, ImplementationChange)]
    losers = [r for r in results if isinstance(r, AlreadyChanged)]
    assert len(winners) == 1 and len(losers) == 1, results
    impl.refresh_from_db()
    assert impl.version == 1 and impl.percent == winners[0].percent
    assert ImplementationChange.objects.count() == 1


def test_the_screener_role_carries_the_update_permission_and_others_do_not(personas):
    assert personas["screener_chengqu"].has_perm("suggestions.update_implementation")
    assert personas["admin"].has_perm("suggestions.update_implementation")
    for role in ("reviewer", "leader"):
        assert not personas[role].has_perm("suggestions.update_implementation")
    for role in ("screener_chengqu", "reviewer", "leader"):
        assert personas[role].has_perm("suggestions.view_implementation")
