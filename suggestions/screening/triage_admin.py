"""The triage view of the screening desk: one idea at a time, decided by keyboard.

``…/suggestions/suggestion/triage/`` takes the changelist's own query string (status,
unit, topic, date, search), so the queue is exactly what the list it was opened
from showed, with the same scope (SuggestionAdmin.get_queryset). Decisions go
through the workflow (suggestion_transition, suggestion_score, suggestion_undo);
this module parses input, checks permission, calls them and renders.

Keys (static/js/triage.js): S shortlist, X set aside (a preset by its number, or
typed), E excellent (with the reviewer's marks, if any), J/K next/previous,
U undo one's own last decision within workflow.UNDO_SECONDS.

Speed: the page fetches the next idea of its queue in advance (``fragment=1``, the
idea's part of the page only, leased to the user) and shows it the moment a key is
pressed; the decision itself is then one POST (``X-Triage: fetch``) that answers in
JSON with the idea after that one, rendered, so every decision costs one request.
Without JavaScript the same forms post and redirect as usual.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from suggestions.common import rules
from suggestions.common.scoping import suggestions_visible
from suggestions.duplicates.selectors import duplicate_group_members
from suggestions.models import ActionVia, SetAsideReason, Status, Suggestion
from suggestions.privacy.services import mask_name, mask_phone
from suggestions.screening.actor import request_actor
from suggestions.screening.columns import score_text
from suggestions.screening.forms import ScoreForm, score_rows
from suggestions.screening.triage import (
    last_decision,
    last_decision_forget,
    last_decision_remember,
    lease_holder,
    lease_release,
    lease_take,
    presets_active,
    presets_forget,
    queue_size,
    triage_pick,
)
from suggestions.screening.workflow import (
    NEEDS_REASON,
    UNDO_SECONDS,
    AlreadyChanged,
    TransitionRefused,
    allowed_targets,
    suggestion_score,
    suggestion_transition,
    suggestion_undo,
    unit_is_frozen,
)

# Query parameters of the triage view itself; everything else is the changelist's queue.
OWN_PARAMS = ("idea", "after", "before", "fragment", "release")
KEYS = {Status.SHORTLISTED: "S", Status.SET_ASIDE: "X", Status.EXCELLENT: "E"}
DUPLICATES_SHOWN = 20
# Header of the page script's fetch() calls: answer in JSON, with the next idea rendered.
FETCH_HEADER = "X-Triage"
IDEA_TEMPLATE = "admin/suggestions/suggestion/triage_idea.html"


def _filters_in_use(list_filter, query: QueryDict) -> list:
    """Only the list filters the query uses: building the others costs a query each
    (their choices) and changes nothing in the queue."""
    used = []
    for spec in list_filter:
        if isinstance(spec, str | tuple):
            name = spec if isinstance(spec, str) else spec[0]
            prefix = f"{name}__"
            if any(key.startswith(prefix) for key in query):
                used.append(spec)
        elif spec.parameter_name in query:
            used.append(spec)
    return used


def _id(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 12 else None


class QueueChangeList(ChangeList):
    """The changelist's filters, search and scope without its count and page queries."""

    def get_results(self, request):
        self.result_count = self.full_result_count = 0
        self.result_list = []


class TriageAdminMixin:
    """Mix into the Suggestion ModelAdmin (before admin.ModelAdmin in the bases)."""

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("triage/", self.admin_site.admin_view(self.triage_view), name=f"{info}_triage"),
            *super().get_urls(),
        ]

    # -- the queue --
    def _triage_queue(self, request, query: QueryDict):
        """The changelist's queryset for these filters: scoped, filtered, searched."""
        original = request.GET
        request.GET = query
        try:
            return QueueChangeList(
                request,
                self.model,
                ["__str__"],
                [],
                _filters_in_use(self.get_list_filter(request), query),
                self.date_hierarchy,
                self.get_search_fields(request),
                self.get_list_select_related(request),
                self.list_per_page,
                self.list_max_show_all,
                (),
                self,
                (),
                None,
            ).queryset
        except IncorrectLookupParameters as exc:
            raise Http404(_("筛选条件无效。")) from exc
        finally:
            request.GET = original

    def _queue_query(self, params: QueryDict) -> QueryDict:
        query = params.copy()
        for name in OWN_PARAMS:
            query.pop(name, None)
        return query

    def _triage_url(self, query: str, **own) -> str:
        params = QueryDict(query, mutable=True)
        for name in OWN_PARAMS:
            params.pop(name, None)
        for name, value in own.items():
            params[name] = str(value)
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_triage")
        return f"{url}?{params.urlencode()}" if params else url

    def _scoped_id(self, request, value) -> Suggestion | None:
        pk = _id(value)
        if pk is None:
            return None
        return (
            self.get_queryset(request)
            .select_related("unit", "topic", "campaign")
            .filter(pk=pk)
            .first()
        )

    # -- the view --
    def triage_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._triage_post(request)
        query = self._queue_query(request.GET)
        queue = self._triage_queue(request, query)
        user_id = request.user.pk
        leases = self.has_decide_permission(request)
        held_by_other = False
        if "idea" in request.GET:
            idea = self._scoped_id(request, request.GET["idea"])
            if idea is None:
                raise Http404(_("没有找到这条金点子。"))
            held_by_other = leases and not lease_take(suggestion_id=idea.pk, user_id=user_id)
        else:
            forward = "before" not in request.GET
            anchor = _id(request.GET.get("after") if forward else request.GET.get("before"))
            # Moving on gives up the idea left behind; the page's look-ahead (fragment)
            # does not, since the idea it starts from is still on the screen. `release`
            # names ideas the page gives up besides (e.g. the looked-ahead one on K).
            releases = {_id(value) for value in request.GET.getlist("release")[:5]}
            if anchor is not None and "fragment" not in request.GET:
                releases.add(anchor)
            for release in releases - {None}:
                lease_release(suggestion_id=release, user_id=user_id)
            idea = triage_pick(
                queue=queue,
                scope=self.get_queryset(request),
                user_id=user_id,
                after=anchor if forward else None,
                before=None if forward else anchor,
                lease=leases,
            )
        if request.GET.get("fragment") == "1":
            response = self._idea_response(request, idea, query.urlencode())
            response["Cache-Control"] = "no-store"
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("逐条筛选"),
            "queue_query": query.urlencode(),
            "queue_status": query.get("status__exact", ""),
            "triage_url": self._triage_url(""),
            "queue_size": queue_size(queue),
            "undo": self._undo_offer(request),
            "undo_seconds": UNDO_SECONDS,
            **self._idea_context(request, idea, query.urlencode(), held_by_other),
        }
        response = TemplateResponse(request, "admin/suggestions/suggestion/triage.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def _idea_response(self, request, idea, query: str) -> HttpResponse:
        """The idea's part of the page alone (what the page script swaps in)."""
        html = render_to_string(
            IDEA_TEMPLATE, self._idea_context(request, idea, query, False), request=request
        )
        return HttpResponse(html)

    def _idea_context(self, request, idea, query, held_by_other) -> dict:
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        context = {
            "idea": idea,
            "queue_query": query,
            "changelist_url": f"{changelist}?{query}" if query else changelist,
        }
        if idea is None:
            return context
        actor = request_actor(request)
        # The 报送 freeze is read once and serves both the buttons and the notice.
        frozen = unit_is_frozen(campaign=idea.campaign, unit=idea.unit)
        targets = [
            {
                "value": t,
                "label": Status(t).label,
                "key": KEYS.get(t, ""),
                "needs_reason": (idea.status, t) in NEEDS_REASON,
            }
            for t in allowed_targets(actor, idea, frozen=frozen)
        ]
        can_score = rules.can_score(actor, idea)
        duplicates = []
        # A lone idea is its own representative with a group of one (the queue's
        # dup_group_size annotation says so): nothing to look up.
        alone = idea.duplicate_of_id == idea.pk and getattr(idea, "dup_group_size", None) == 1
        if idea.duplicate_of_id is not None and not alone:
            members = duplicate_group_members(idea)
            duplicates = list(
                suggestions_visible(user=request.user, queryset=members)[:DUPLICATES_SHOWN]
            )
        set_aside = next((t for t in targets if t["value"] == Status.SET_ASIDE), None)
        return {
            **context,
            "targets": targets,
            "set_aside": set_aside,
            "other_targets": [t for t in targets if not t["key"]],
            "presets": presets_active() if set_aside else [],
            "score_rows": score_rows(ScoreForm()) if can_score else None,
            "score": score_text(idea.score_mean, idea.score_count),
            "masked_name": mask_name(idea.name),
            "masked_phone": mask_phone(idea.phone),
            "can_reveal": rules.can_view_contact(request.user),
            "history": idea.history.select_related("actor"),
            "duplicates": duplicates,
            "frozen": frozen,
            "held_by_other": held_by_other and lease_holder(idea.pk),
            "next_url": self._triage_url(query, after=idea.pk),
            "prev_url": self._triage_url(query, before=idea.pk),
            "fragment_url": self._triage_url(query, after=idea.pk, fragment=1),
        }

    def _undo_offer(self, request) -> dict | None:
        """The user's last triage decision while it can still be undone (for the U key)."""
        last = last_decision(request.user.pk)
        if not last:
            return None
        at = parse_datetime(last["at"])
        left = UNDO_SECONDS - (timezone.now() - at).total_seconds() if at else 0
        if left <= 0:
            return None
        return {**last, "left": int(left + 0.999)}

    # -- decisions --
    def _answer(self, request, query: str, *, ok: bool, message: str, url: str, **extra):
        """A decision's answer: JSON for the page script (with the idea after the one it
        shows next, rendered), a message and a redirect for a plain form post."""
        if request.headers.get(FETCH_HEADER) != "fetch":
            if message:
                (messages.success if ok else messages.error)(request, message)
            return HttpResponseRedirect(url)
        payload = {"ok": ok, "message": message, "url": url, **extra}
        shown = _id(request.POST.get("next"))
        if "next" in request.POST:
            # The script shows its look-ahead now: send the one after it (or after the
            # decided idea when it had none), leased, ready for the next key.
            idea = triage_pick(
                queue=self._triage_queue(request, QueryDict(query)),
                scope=self.get_queryset(request),
                user_id=request.user.pk,
                after=shown if shown is not None else _id(request.POST.get("idea")),
                lease=self.has_decide_permission(request),
            )
            payload["idea"] = idea.pk if idea else None
            payload["html"] = render_to_string(
                IDEA_TEMPLATE, self._idea_context(request, idea, query, False), request=request
            )
        response = JsonResponse(payload)
        response["Cache-Control"] = "no-store"
        return response

    def _triage_post(self, request):
        op = "score" if request.POST.get("score_only") else request.POST.get("op", "")
        query = request.POST.get("queue", "")
        idea = self._scoped_id(request, request.POST.get("idea"))
        if idea is None:
            raise Http404(_("没有找到这条金点子。"))
        actor = request_actor(request)
        if op == "undo":
            return self._triage_undo(request, idea, actor, query)
        if op not in ("decide", "score"):
            raise PermissionDenied
        here = self._triage_url(query, idea=idea.pk)
        score_form = ScoreForm(request.POST)
        if not score_form.is_empty():
            if not score_form.is_valid():
                return self._answer(
                    request,
                    query,
                    ok=False,
                    message=f"{idea.receipt}：" + _("请为五项指标全部打分（1–5），或全部不打分。"),
                    url=here,
                )
            try:
                suggestion_score(suggestion=idea, actor=actor, marks=score_form.cleaned_data)
            except TransitionRefused as refused:
                return self._answer(
                    request, query, ok=False, message=f"{idea.receipt}：{refused}", url=here
                )
            if op == "score":
                messages.success(request, _("评分已保存。"))
        elif op == "score":
            messages.warning(request, _("没有选择任何分数，评分未保存。"))
        if op == "score":
            return HttpResponseRedirect(here)
        return self._triage_decide(request, idea, actor, query)

    def _triage_decide(self, request, idea, actor, query):
        to_status = request.POST.get("to_status", "")
        seen = request.POST.get("seen_status", "")
        if to_status not in Status.values or seen not in Status.values:
            raise PermissionDenied
        reason = request.POST.get("reason", "").strip()
        preset = _id(request.POST.get("preset"))
        if not reason and preset is not None:
            found = next((p for p in presets_active() if p.pk == preset), None)
            reason = found.text if found else ""
        idea.status = seen  # decide from what the user saw, so a concurrent change is caught
        onward = self._triage_url(query, after=idea.pk)
        try:
            change = suggestion_transition(
                suggestion=idea,
                to_status=to_status,
                actor=actor,
                reason=reason,
                via=ActionVia.TRIAGE,
            )
        except AlreadyChanged as refused:
            return self._answer(
                request, query, ok=False, message=f"{idea.receipt}：{refused}", url=onward
            )
        except TransitionRefused as refused:
            return self._answer(
                request,
                query,
                ok=False,
                message=f"{idea.receipt}：{refused}",
                url=self._triage_url(query, idea=idea.pk),
            )
        lease_release(suggestion_id=idea.pk, user_id=request.user.pk)
        decision = {
            "idea": idea.pk,
            "receipt": idea.receipt,
            "status": str(Status(to_status).label),
            "at": change.at.isoformat(),
        }
        last_decision_remember(user_id=request.user.pk, decision=decision, seconds=UNDO_SECONDS)
        return self._answer(
            request,
            query,
            ok=True,
            message="",
            url=onward,
            undo={**decision, "left": UNDO_SECONDS},
            left_queue=to_status != seen,
        )

    def _triage_undo(self, request, idea, actor, query):
        try:
            suggestion_undo(suggestion=idea, actor=actor)
        except TransitionRefused as refused:
            messages.error(request, str(refused))
            return HttpResponseRedirect(self._triage_url(query))
        last_decision_forget(request.user.pk)
        messages.success(
            request,
            _("已撤销：%(receipt)s 回到“%(status)s”。")
            % {"receipt": idea.receipt, "status": idea.get_status_display()},
        )
        return HttpResponseRedirect(self._triage_url(query, idea=idea.pk))


# Administrators edit the set-aside presets offered on the triage view.
@admin.register(SetAsideReason)
class SetAsideReasonAdmin(admin.ModelAdmin):
    list_display = ["text", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    ordering = ["sort_order", "id"]

    def has_module_permission(self, request):
        return rules.can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return rules.can_administer(request.user)

    def has_add_permission(self, request):
        return rules.can_administer(request.user)

    def has_change_permission(self, request, obj=None):
        return rules.can_administer(request.user)

    def has_delete_permission(self, request, obj=None):
        return rules.can_administer(request.user)

    # The triage view keeps the presets in the cache; any edit drops that copy.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        presets_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        presets_forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        presets_forget()
