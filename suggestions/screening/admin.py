from collections import Counter

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from jincheng_portal.admin_params import CheckedParamsAdminMixin, parse_id
from suggestions.common import rules
from suggestions.common.paging import EstimatedCountPaginator
from suggestions.common.rules import Actor
from suggestions.common.scoping import suggestions_visible, visible_unit_ids
from suggestions.duplicates.admin import (
    DuplicateAdminMixin,
    DuplicateDecisionInline,
    HideNonRepresentativesFilter,
)
from suggestions.duplicates.selectors import duplicate_group_ids
from suggestions.models import (
    ActionVia,
    Campaign,
    Score,
    Status,
    Suggestion,
    UnitReport,
)
from suggestions.privacy.admin import erase_contact_action  # also registers the access log
from suggestions.privacy.services import (
    contact_export_log,
    mask_name,
    mask_phone,
    suggestion_contact_reveal,
)
from suggestions.screening.actor import request_actor
from suggestions.screening.columns import DeskColumnsMixin, score_text
from suggestions.screening.exports import suggestions_xlsx_tempfile
from suggestions.screening.filters import UnitTreeFilter
from suggestions.screening.forms import DecisionForm, ReasonForm, ScoreForm
from suggestions.screening.search import suggestions_search
from suggestions.screening.triage_admin import TriageAdminMixin
from suggestions.screening.workflow import (
    NEEDS_REASON,
    SCORE_CRITERIA,
    TransitionRefused,
    allowed_targets,
    suggestion_score,
    suggestion_transition,
    suggestions_transition,
    unit_is_frozen,
    unit_report_reopen,
    unit_report_submit,
)
from units.models import Unit

# Bulk decisions on more rows than this are refused (select-all across a huge list).
BULK_LIMIT = 5_000


# --- the screening desk -------------------------------------------------------


@admin.register(Suggestion)
class SuggestionAdmin(
    CheckedParamsAdminMixin,
    TriageAdminMixin,
    DeskColumnsMixin,
    DuplicateAdminMixin,
    admin.ModelAdmin,
):
    # Read at a glance (suggestions/screening/columns.py, widths in static/css/desk.css).
    list_display = [
        "receipt",
        "title_block",
        "unit",
        "topic",
        "status_chip",
        "duplicate_group_size",
        "score_with_count",
        "received_short",
    ]
    list_display_links = ["receipt", "title_block"]
    list_filter = [
        "status",
        UnitTreeFilter,
        "topic",
        "channel",
        "identity_type",
        ("received_at", admin.DateFieldListFilter),
        HideNonRepresentativesFilter,
    ]
    list_select_related = ["unit", "topic"]
    list_per_page = 50
    # Search is suggestions.screening.search (receipt, Chinese bigrams); this only shows the box.
    search_fields = ["receipt"]
    search_help_text = gettext_lazy("回执号，或标题、内容中的词语（如“旅游”）")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = [
        "shortlist",
        "mark_excellent",
        "set_aside",
        "shortlist_groups",
        "mark_excellent_groups",
        *DuplicateAdminMixin.duplicate_actions,
        erase_contact_action,
    ]
    inlines = [DuplicateDecisionInline]
    fields = [
        "receipt",
        "status",
        "unit",
        "topic",
        "channel",
        "identity_type",
        "title",
        "content",
        "masked_name",
        "masked_phone",
        "publish_consent",
        "received_at",
        "score_display",
        "duplicate_group_panel",
    ]
    readonly_fields = fields
    change_form_template = "admin/suggestions/suggestion/change_form.html"
    change_list_template = "admin/suggestions/suggestion/change_list.html"

    class Media:
        js = ["js/screening.js"]

    # -- scope and permissions --
    def get_queryset(self, request):
        return suggestions_visible(user=request.user, queryset=super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        return suggestions_search(queryset, search_term), False

    def has_add_permission(self, request):
        return False  # ideas arrive through intake, not through the desk

    def has_change_permission(self, request, obj=None):
        # The text of an idea is the citizen's; staff decide through the workflow forms.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_stage1_permission(self, request):
        return rules.can_screen_stage1(request_actor(request))

    def has_stage2_permission(self, request):
        return rules.can_decide_stage2(request_actor(request))

    def has_erase_permission(self, request):
        # A citizen's deletion request is handled by the city administrators.
        return rules.can_administer(request.user)

    def has_decide_permission(self, request):
        return self.has_stage1_permission(request) or self.has_stage2_permission(request)

    def _scoped_object(self, request, object_id) -> Suggestion:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("没有找到这条金点子。"))
        return obj

    # -- columns --
    @admin.display(description=gettext_lazy("平均分（人数）"))
    def score_display(self, obj):
        return score_text(obj.score_mean, obj.score_count)

    @admin.display(description=gettext_lazy("姓名"))
    def masked_name(self, obj):
        return mask_name(obj.name)

    @admin.display(description=gettext_lazy("手机号"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    # -- views --
    def get_urls(self):
        wrap = self.admin_site.admin_view
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("export/", wrap(self.export_view), name=f"{info}_export"),
            path("report/", wrap(self.report_view), name=f"{info}_report"),
            path(
                "<path:object_id>/decide/",
                wrap(require_POST(self.decide_view)),
                name=f"{info}_decide",
            ),
            path(
                "<path:object_id>/score/",
                wrap(require_POST(self.score_view)),
                name=f"{info}_score",
            ),
            path(
                "<path:object_id>/contact/",
                wrap(require_POST(self.contact_view)),
                name=f"{info}_contact",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        obj = self._scoped_object(request, object_id)
        actor = Actor.of(request.user)
        targets = [
            {"value": t, "label": Status(t).label, "needs_reason": (obj.status, t) in NEEDS_REASON}
            for t in allowed_targets(actor, obj)
        ]
        can_score = rules.can_score(actor, obj)
        show_scores = rules.can_see_scores(actor)
        my_score = (
            Score.objects.filter(suggestion=obj, reviewer=request.user).first()
            if can_score
            else None
        )
        context = {
            "decision_targets": targets,
            "reason_form": DecisionForm(),
            "score_form": ScoreForm(
                initial={n: getattr(my_score, n) for n in SCORE_CRITERIA} if my_score else None
            )
            if can_score
            else None,
            "scores": obj.scores.select_related("reviewer").order_by("scored_at")
            if show_scores
            else None,
            "history": obj.history.select_related("actor"),
            "can_reveal": rules.can_view_contact(request.user),
            "frozen": unit_is_frozen(campaign=obj.campaign, unit=obj.unit),
            "title": _("金点子详情"),  # not the stock "查看 金点子"
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("金点子筛选"), **(extra_context or {})})

    def get_inline_instances(self, request, obj=None):
        # No empty "重复组处理记录" table (headers and nothing under them).
        if obj is None or not obj.duplicate_decisions.exists():
            return []
        return super().get_inline_instances(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        self._scoped_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._scoped_object(request, object_id)
        raise PermissionDenied

    def _change_url(self, obj):
        return reverse("admin:suggestions_suggestion_change", args=[obj.pk])

    def decide_view(self, request, object_id):
        obj = self._scoped_object(request, object_id)
        to_status = request.POST.get("to_status", "")
        seen = request.POST.get("seen_status", "")
        if to_status not in Status.values or seen not in Status.values:
            raise PermissionDenied
        obj.status = seen  # decide from what the user saw, so a concurrent change is caught
        try:
            suggestion_transition(
                suggestion=obj,
                to_status=to_status,
                actor=Actor.of(request.user),
                reason=request.POST.get("reason", ""),
                via=ActionVia.ADMIN,
            )
        except TransitionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(
                request, _("已改为“%(status)s”。") % {"status": Status(to_status).label}
            )
        return HttpResponseRedirect(self._change_url(obj))

    def score_view(self, request, object_id):
        obj = self._scoped_object(request, object_id)
        form = ScoreForm(request.POST)
        if form.is_valid() and form.is_empty():
            messages.warning(
                request, _("没有选择任何分数，评分未保存。请为五项指标全部选好后再保存。")
            )
            return HttpResponseRedirect(self._change_url(obj))
        if not form.is_valid():
            messages.error(request, _("请为五项指标全部打分（1–5），或全部不打分。"))
            return HttpResponseRedirect(self._change_url(obj))
        try:
            suggestion_score(suggestion=obj, actor=Actor.of(request.user), marks=form.cleaned_data)
        except TransitionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("评分已保存。"))
        return HttpResponseRedirect(self._change_url(obj))

    def contact_view(self, request, object_id):
        obj = self._scoped_object(request, object_id)
        if not rules.can_view_contact(request.user):
            raise PermissionDenied
        contact = suggestion_contact_reveal(suggestion=obj, user=request.user)
        if request.headers.get("accept", "").startswith("application/json"):
            response = JsonResponse(contact)
        else:
            response = TemplateResponse(
                request,
                "admin/suggestions/suggestion/contact.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "original": obj,
                    "contact": contact,
                    "title": _("联系方式"),
                },
            )
        response["Cache-Control"] = "no-store"
        return response

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        reveal = request.GET.get("contact") == "1"
        if reveal and not rules.can_view_contact(request.user):
            raise PermissionDenied
        # The changelist's own filters, search and scope, minus our flag.
        request.GET = request.GET.copy()
        request.GET.pop("contact", None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # As the changelist answers bad filters: back to the list, flagged.
            changelist_url = reverse("admin:suggestions_suggestion_changelist")
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        queryset = changelist.get_queryset(request)
        fileobj, count = suggestions_xlsx_tempfile(queryset=queryset, reveal=reveal)
        if reveal:
            contact_export_log(user=request.user, rows=count, detail=request.GET.urlencode())
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = FileResponse(fileobj, as_attachment=True, filename=f"jindianzi-{stamp}.xlsx")
        response["Cache-Control"] = "no-store"
        return response

    def report_view(self, request):
        """报送: reporting units in the user's scope and their stage-1 report status."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = Campaign.objects.current()
        if campaign is None:
            raise Http404(_("没有进行中的征集活动。"))
        actor = Actor.of(request.user)
        ids = visible_unit_ids(request.user)
        units = Unit.objects.reporting().order_by("sort_order", "code")
        if ids is not None:
            units = units.filter(pk__in=ids)
        if request.method == "POST":
            unit_id = parse_id(request.POST.get("unit", ""))
            unit = units.filter(pk=unit_id).first() if unit_id is not None else None
            if unit is None:
                raise Http404
            service = (
                unit_report_reopen if request.POST.get("op") == "reopen" else unit_report_submit
            )
            try:
                service(campaign=campaign, unit=unit, actor=actor)
            except TransitionRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, _("%(unit)s：已更新报送状态。") % {"unit": unit.name})
            return HttpResponseRedirect(request.path)
        reports = {r.unit_id: r for r in UnitReport.objects.filter(campaign=campaign)}
        rows = [
            {
                "unit": unit,
                "report": reports.get(unit.pk),
                "can_submit": rules.can_report(actor, unit),
            }
            for unit in units
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("单位报送"),
            "campaign": campaign,
            "rows": rows,
            "can_reopen": rules.can_reopen_report(actor),
        }
        return TemplateResponse(request, "admin/suggestions/suggestion/report.html", context)

    # -- bulk actions --
    def _decide(self, request, queryset, to_status, reason=""):
        if _more_than(queryset, BULK_LIMIT):
            self.message_user(
                request,
                _("一次最多处理 %(n)d 条，请先筛选。") % {"n": BULK_LIMIT},
                messages.ERROR,
            )
            return None
        ideas = list(queryset.select_related(None).only("pk", "status", "unit_id", "campaign_id"))
        result = suggestions_transition(
            suggestions=ideas,
            to_status=to_status,
            actor=Actor.of(request.user),
            reason=reason,
            via=ActionVia.BULK,
        )
        changed, refused = len(result.changed), len(result.refused)
        text = ngettext(
            "%(changed)d 条已改为“%(status)s”，%(refused)d 条被拒绝。",
            "%(changed)d 条已改为“%(status)s”，%(refused)d 条被拒绝。",
            changed,
        ) % {"changed": changed, "refused": refused, "status": Status(to_status).label}
        reasons = Counter(str(exc) for _idea, exc in result.refused)
        if reasons:
            text += " " + "；".join(
                _("%(reason)s（%(n)d 条）") % {"reason": why, "n": n}
                for why, n in reasons.most_common(5)
            )
        self.message_user(request, text, messages.WARNING if refused else messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("设为初选入围"), permissions=["stage1"])
    def shortlist(self, request, queryset):
        return self._decide(request, queryset, Status.SHORTLISTED)

    @admin.action(description=gettext_lazy("评为优秀金点子"), permissions=["stage2"])
    def mark_excellent(self, request, queryset):
        return self._decide(request, queryset, Status.EXCELLENT)

    # A representative's decision for its whole duplicate group: first a page lists every
    # member the user may decide, with its unit, each ticked; the decision then applies to
    # the ticked ones only (the workflow still judges each). The group is cut to the ideas
    # this user may see, so another unit's member is neither listed nor changed.
    def _with_groups(self, request, queryset):
        selected = list(queryset.values_list("pk", "duplicate_of_id"))
        representatives = {rep or pk for pk, rep in selected}
        ids = duplicate_group_ids(representative_ids=representatives, user=request.user)
        return self.get_queryset(request).filter(pk__in=ids)

    def _group_decision(self, request, queryset, action, to_status):
        if "apply" in request.POST:
            return self._decide(request, queryset, to_status)  # the ticked members
        members = self._with_groups(request, queryset)
        if _more_than(members, BULK_LIMIT):
            return self._decide(request, members, to_status)  # refused with the limit's message
        return self.group_decision_confirmation(
            request,
            members,
            action=action,
            title=_("整组设为“%(status)s”：请确认成员") % {"status": Status(to_status).label},
        )

    @admin.action(description=gettext_lazy("整组设为初选入围（含重复项）"), permissions=["stage1"])
    def shortlist_groups(self, request, queryset):
        return self._group_decision(request, queryset, "shortlist_groups", Status.SHORTLISTED)

    @admin.action(
        description=gettext_lazy("整组评为优秀金点子（含重复项）"), permissions=["stage2"]
    )
    def mark_excellent_groups(self, request, queryset):
        return self._group_decision(request, queryset, "mark_excellent_groups", Status.EXCELLENT)

    @admin.action(description=gettext_lazy("设为未入选（填写理由）"), permissions=["decide"])
    def set_aside(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            return self._decide(request, queryset, Status.SET_ASIDE, form.cleaned_data["reason"])
        if _more_than(queryset, BULK_LIMIT):
            return self._decide(request, queryset, Status.SET_ASIDE)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("设为未入选"),
            "form": form,
            "ideas": queryset.select_related(None)
            .select_related("unit")
            .only("pk", "receipt", "title", "unit__name"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/suggestions/suggestion/set_aside.html", context)


def _more_than(queryset, limit: int) -> bool:
    """A capped count: "select all" over a million rows must not count them all."""
    return queryset.order_by()[: limit + 1].count() > limit
