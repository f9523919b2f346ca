"""Hostile parameters on staff pages never produce a server error, for any role.

The admin URLs come from tests/hardening/staff_urls.py (the URLconf and the admin
registry), so a view added later is fuzzed too. First the cases an outside probe found
(each a 500 before the fix), then hypothesis: generated query strings and POST bodies
against every admin changelist, export, autocomplete, object page and custom view.

Run on SQLite and on PostgreSQL: some errors (the paginator's EXPLAIN of a filter that
matches nothing, NUL in a string compared in SQL) exist only on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suggestions.common.rules import Actor
from suggestions.common.time import local_date
from suggestions.implementation.workflow import implementation_adopt, implementation_assign
from suggestions.models import Implementation, ImplementationStatus, Status, Suggestion
from suggestions.screening.workflow import suggestion_transition
from tests.factories import SuggestionFactory
from tests.hardening.staff_urls import autocomplete_sources, staff_routes
from units.models import ScreenerMembership
from units.roles import Role, assign_role

pytestmark = pytest.mark.django_db

ROLES = ["screener_chengqu", "screener_zezhou", "reviewer", "leader", "admin", "screener_nowhere"]

HOSTILE = [
    "²",  # a digit to str.isdigit(), not to int() on a database column
    "٣",
    "0",
    "-1",
    "999",
    "9" * 20,
    "\x00",
    "a\x00b",
    "\x1f",
    "\x7f",
    "",
    " ",
    "1,2,²",
    "𠮷" * 30,
    "%",
    "' OR 1=1 --",
    "<svg onload=alert(1)>",
    "collected",
    "representatives",
    "2026",
    "true",
    "a" * 3000,
]
PARAMETERS = [
    "unit",
    "status",
    "topic",
    "topic__id__exact",
    "channel",
    "identity_type",
    "duplicates",
    "received_at__gte",
    "received_at__lt",
    "id__exact",
    "unit__id__exact",
    "unit__id__in",
    "campaign__id__exact",
    "to_status",
    "via",
    "action",
    "scope",
    "phase",
    "is_active",
    "kind",
    "at__year",
    "at__month",
    "at__day",
    "q",
    "p",
    "o",
    "e",
    "all",
    "term",
    "app_label",
    "model_name",
    "field_name",
    "contact",
    "reason",
    "seen_status",
    "op",
    "_selected_action",
    "select_across",
    "index",
    "_to_field",
    "_changelist_filters",
    "feasibility",
    "receipt",
    # The implementation desk (落实台账) and its step form.
    "overdue",
    "seen_version",
    "note",
    "percent",
    "lead_unit",
    "co_units",
    "due_date",
    "public",
]


@pytest.fixture
def world(personas, campaign, units):
    nowhere = get_user_model().objects.create_user(
        username="screener_nowhere", password="correct-horse-battery", is_staff=True
    )
    assign_role(user=nowhere, role=Role.SCREENER, units=[units["城区"]])
    ScreenerMembership.objects.filter(user=nowhere).delete()  # a membership removed later
    mine = SuggestionFactory(campaign=campaign, unit=units["城区"])
    theirs = SuggestionFactory(campaign=campaign, unit=units["泽州县"])
    Suggestion.objects.filter(pk__in=[mine.pk, theirs.pk]).update(duplicate_of=theirs)
    suggestion_transition(
        suggestion=theirs,
        to_status=Status.SHORTLISTED,
        actor=Actor.of(personas["screener_zezhou"]),
    )
    # An excellent idea of 泽州县, adopted and assigned to 城区: the implementation desk's
    # record (opened by the rating), its step form and the lead unit's view of it.
    excellent = SuggestionFactory(
        campaign=campaign, unit=units["泽州县"], status=Status.SHORTLISTED
    )
    reviewer = Actor.of(personas["reviewer"])
    suggestion_transition(suggestion=excellent, to_status=Status.EXCELLENT, actor=reviewer)
    record = Implementation.objects.get(suggestion=excellent)
    implementation_adopt(implementation=record, actor=reviewer)
    implementation_assign(
        implementation=record,
        actor=reviewer,
        lead_unit=units["城区"],
        due_date=local_date(timezone.now()) + timedelta(days=30),
    )
    clients = {}
    for role in ROLES:
        client = Client()
        client.force_login(nowhere if role == "screener_nowhere" else personas[role])
        clients[role] = client
    return {
        "clients": clients,
        "mine": mine,
        "theirs": theirs,
        "units": units,
        "implementation": record,
    }


def admin_paths(world) -> list[str]:
    ideas = [world["mine"].pk, world["theirs"].pk]
    records = [world["implementation"].pk]
    routes = staff_routes(
        unit_ids=lambda user: [world["units"]["城区"].pk],
        interesting=lambda model: {Suggestion: ideas, Implementation: records}.get(model, []),
        receipts=[world["mine"].receipt],
    )
    admin_user = get_user_model().objects.get(username="admin")
    paths = {path for route in routes for path in route.fill(admin_user)}
    return sorted(path for path in paths if path.startswith("/admin/") and "logout" not in path)


def send(client, method, path, params):
    # The test client re-raises what a view lets escape: a crash fails with its traceback.
    if method == "GET":
        return client.get(path, params)
    return client.post(path, params)


def assert_no_server_error(response, *context):
    assert response.status_code < 500, (*context, response.status_code)


# --- what the outside probe found ---------------------------------------------------------

DESK = "admin:suggestions_suggestion_changelist"
EXPORT = "admin:suggestions_suggestion_export"
HISTORY = "admin:suggestions_statuschange_changelist"
PROBE_QUERIES = [
    {"unit": "999"},
    {"unit": "0"},
    {"unit": "9" * 20},
    {"unit": "²"},
    {"unit": "\x00"},
    {"status": "\x00"},
    {"channel": "web\x00"},
    {"duplicates": "\x00"},
    {"to_status": "\x00"},
    {"via": "\x00"},
    {"q": "\x00"},
    {"id__exact": "²"},
    {"unit__id__exact": "9" * 20},
    {"received_at__gte": "not a date"},
    {"status": "no-such-status"},
]


def test_what_the_outside_probe_found_is_answered_without_a_server_error(world):
    # One test, not one per case: the personas and units are built once (seconds).
    filters_on_the_desk_export_and_history_answer_without_an_error(world)
    a_unit_id_that_matches_nothing_is_an_empty_list(world)
    a_malformed_parameter_is_an_invalid_lookup_on_the_list_and_the_export(world)
    a_screener_without_units_sees_empty_lists(world)
    nul_in_autocomplete_decision_reason_and_report_unit_is_refused(world)
    a_date_hierarchy_year_out_of_range_is_an_invalid_lookup(world)
    a_wrongly_typed_autocomplete_value_in_an_admin_form_is_a_form_error(world)
    hostile_implementation_steps_are_refused_and_change_nothing(world)
    an_empty_to_field_on_an_object_page_is_refused(world)


def filters_on_the_desk_export_and_history_answer_without_an_error(world):
    for role in ROLES:
        client = world["clients"][role]
        for query in PROBE_QUERIES:
            for name in (DESK, EXPORT, HISTORY):
                response = client.get(reverse(name), query)
                assert_no_server_error(response, role, name, query)
                if response.status_code == 302:  # an invalid lookup, as the changelist says
                    assert response["Location"].endswith("?e=1"), (role, name, query)


def a_unit_id_that_matches_nothing_is_an_empty_list(world):
    client = world["clients"]["screener_chengqu"]
    for unit in ("999", "0"):
        response = client.get(reverse(DESK), {"unit": unit})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0


def a_malformed_parameter_is_an_invalid_lookup_on_the_list_and_the_export(world):
    client = world["clients"]["screener_chengqu"]
    for query in (
        {"unit": "²"},
        {"unit": "9" * 20},  # beyond a 64-bit id
        {"status": "\x00"},
        {"status": "nope"},
        {"id__exact": "x"},
    ):
        for name in (DESK, EXPORT):
            response = client.get(reverse(name), query)
            assert response.status_code == 302, (name, query)
            assert response["Location"].endswith("?e=1")


def a_screener_without_units_sees_empty_lists(world):
    client = world["clients"]["screener_nowhere"]
    response = client.get(reverse(DESK))
    assert response.status_code == 200 and response.context["cl"].result_count == 0
    assert client.get(reverse(EXPORT)).status_code == 200
    assert client.get(reverse(HISTORY)).status_code == 200


def nul_in_autocomplete_decision_reason_and_report_unit_is_refused(world):
    client = world["clients"]["screener_chengqu"]
    mine = world["mine"]
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "a\x00", **autocomplete_sources()[0]},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("admin:suggestions_suggestion_decide", args=[mine.pk]),
        {"to_status": "set_aside", "seen_status": "collected", "reason": "x\x00y"},
    )
    assert response.status_code == 400
    assert Suggestion.objects.get(pk=mine.pk).status == Status.COLLECTED
    for unit in ("\x00", "²", "abc", "9" * 20, ""):
        response = client.post(reverse("admin:suggestions_suggestion_report"), {"unit": unit})
        assert response.status_code in (400, 404), unit


def a_wrongly_typed_autocomplete_value_in_an_admin_form_is_a_form_error(world):
    client = world["clients"]["admin"]
    for unit in ("²", "9" * 20, "x"):
        response = client.post(
            reverse("admin:units_screenermembership_add"), {"unit": unit, "user": unit}
        )
        assert response.status_code == 200, unit  # the form again, with its errors


def hostile_implementation_steps_are_refused_and_change_nothing(world):
    record = world["implementation"]
    url = reverse("admin:suggestions_implementation_act", args=[record.pk])
    base = {"seen_status": record.status, "seen_version": record.version}
    for role in ("screener_chengqu", "reviewer", "screener_zezhou", "leader"):
        client = world["clients"][role]
        for data in (
            {"action": "progress", "percent": "²", "note": "x"},
            {"action": "progress", "percent": "9" * 20, "note": "x"},
            {"action": "progress", "percent": "50", "note": "a\x00b"},
            {"action": "progress", "percent": "50", "note": "x", "reason": "\x00"},
            {"action": "complete", "note": "\x00"},
            {"action": "assign", "lead_unit": "²", "due_date": "\x00"},
            {"action": "assign", "co_units": ["9" * 20], "due_date": "9999-99-99"},
            {"action": "progress", "percent": "50", "note": "x", "seen_version": "²"},
            {"action": "progress", "percent": "50", "note": "x", "seen_status": "\x00"},
        ):
            response = client.post(url, {**base, **data})
            assert_no_server_error(response, role, data)
    after = Implementation.objects.get(pk=record.pk)
    assert (after.status, after.version) == (ImplementationStatus.ASSIGNED, record.version)
    for query in ({"overdue": "\x00"}, {"overdue": "²"}, {"status": "\x00"}, {"q": "\x00"}):
        response = world["clients"]["screener_chengqu"].get(
            reverse("admin:suggestions_implementation_changelist"), query
        )
        assert_no_server_error(response, query)


def an_empty_to_field_on_an_object_page_is_refused(world):
    # Found by the generated test: Django looked the field '' up (a 500).
    client = world["clients"]["admin"]
    for name in ("change", "delete", "history"):
        url = reverse(f"admin:suggestions_implementation_{name}", args=[world["implementation"].pk])
        assert client.get(url, {"_to_field": ""}).status_code == 400, name
    url = reverse("admin:auth_group_change", args=[1])
    assert client.get(url, {"_to_field": ""}).status_code == 400


def a_date_hierarchy_year_out_of_range_is_an_invalid_lookup(world):
    client = world["clients"]["admin"]
    url = reverse("admin:suggestions_personaldataaccess_changelist")
    for query in (
        {"at__year": "9" * 20},
        {"at__year": "²"},
        {"at__year": "2026", "at__month": "13"},
    ):
        response = client.get(url, query)
        assert response.status_code == 302 and response["Location"].endswith("?e=1")


# --- generated ------------------------------------------------------------------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(st.sampled_from(HOSTILE), text, st.integers().map(str))
params = st.dictionaries(
    keys=st.one_of(st.sampled_from(PARAMETERS), text.filter(bool)),
    values=st.one_of(values, st.lists(values, min_size=1, max_size=3)),
    max_size=6,
)


@pytest.fixture
def targets(world):
    found = admin_paths(world)
    # Every kind of admin view is among them (the discovery itself is the safeguard).
    assert len(found) > 100
    for name in (DESK, EXPORT, HISTORY, "admin:suggestions_suggestion_report"):
        assert reverse(name) in found
    assert reverse("admin:autocomplete") in found
    assert any(path.endswith("/decide/") for path in found)
    assert any("/implementation/" in path and path.endswith("/act/") for path in found)
    return found


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_parameters_on_admin_pages_never_cause_a_server_error(world, targets, data):
    role = data.draw(st.sampled_from(ROLES), label="role")
    path = data.draw(st.sampled_from(targets), label="path")
    method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
    query = data.draw(params, label="params")
    if path == reverse("admin:autocomplete") and data.draw(st.booleans()):
        query = {**data.draw(st.sampled_from(autocomplete_sources())), **query}
    response = send(world["clients"][role], method, path, query)
    assert_no_server_error(response, role, method, path, query)


@pytest.mark.slow
def test_every_admin_page_takes_every_hostile_value_without_a_server_error(world, targets):
    # The roles whose pages differ most: everything, one unit, no unit at all.
    for role in ("admin", "screener_chengqu", "screener_nowhere"):
        _every_page_every_value(world["clients"][role], world, targets, role)


def _every_page_every_value(client, world, targets, role):
    hostile_ids = ["²", "9" * 20, "%00", "-1"]
    keys = ("unit", "status", "q", "term", "id__exact", "at__year")
    for path in targets:
        for value in ("\x00", "²", "9" * 20):
            query = dict.fromkeys(keys, value)
            assert_no_server_error(client.get(path, query), role, path, value)
        response = client.post(path, {"unit": "²", "reason": "\x00", "action": "9" * 20})
        assert_no_server_error(response, role, "POST", path)
        for pk in (str(world["mine"].pk), str(world["theirs"].pk), str(world["implementation"].pk)):
            if f"/{pk}/" in path:
                for hostile in hostile_ids:
                    broken = path.replace(f"/{pk}/", f"/{hostile}/", 1)
                    assert_no_server_error(client.get(broken), role, broken)
