"""Duplicate-group pieces of the Suggestion admin (mixed into suggestions.screening.admin).

The Suggestion admin itself belongs to suggestions/screening/admin.py. This module offers a mixin
with a list filter, a group-size column, a group panel for the detail page that shows why
each member is in the group (shared text marked, similarity, places), the group actions
(confirm / split off / merge / choose the representative) that call
suggestions.duplicates.decisions, the confirmation page of the whole-group decisions and the
desk's page of merge proposals. Every idea shown is one the user may see
(suggestions.common.scoping); user text is escaped by format_html, never marked safe.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from jincheng_portal.admin_params import parse_id
from suggestions.common.admin import ReadOnlyAdminMixin
from suggestions.common.scoping import suggestion_visible_flag
from suggestions.duplicates.decisions import (
    DuplicateDecisionRefused,
    duplicate_group_confirm,
    duplicate_group_set_representative,
    duplicate_group_split,
    duplicates_merge,
    merge_proposal_accept,
    merge_proposal_reject,
)
from suggestions.duplicates.explain import explain
from suggestions.duplicates.selectors import (
    duplicate_group_for,
    merge_proposals_for,
    semantic_matches,
    with_group_size,
)
from suggestions.duplicates.services import comparable_text, duplicate_config
from suggestions.models import DuplicateDecision, repeat_q, representative_q
from suggestions.privacy.services import mask_name, mask_phone


class HideNonRepresentativesFilter(admin.SimpleListFilter):
    title = _("重复组")
    parameter_name = "duplicates"

    def lookups(self, request, model_admin):
        return [
            ("representatives", _("隐藏重复项（只看每组代表）")),
            ("repeats", _("只看重复项")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "representatives":
            return queryset.filter(representative_q())
        if self.value() == "repeats":
            return queryset.filter(repeat_q())
        return queryset


class DuplicateAdminMixin:
    """Mix into the Suggestion ModelAdmin (before admin.ModelAdmin in the bases)."""

    duplicate_actions = [
        "confirm_duplicate_group",
        "split_from_duplicate_group",
        "merge_duplicates",
        "set_duplicate_representative",
    ]
    # Members explained in the panel (each costs one comparison of two texts).
    why_limit = 30

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view(
            require_http_methods(["GET", "POST"])(self.proposals_view)
        )
        return [
            path("duplicates/proposals/", view, name=f"{info}_duplicate_proposals"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        return with_group_size(super().get_queryset(request))

    # Not sortable: ordering by a per-row subquery would compute it for every idea.
    @admin.display(description=_("重复组"))
    def duplicate_group_size(self, obj):
        if obj.duplicate_of_id is None:
            return _("待查重")
        if obj.duplicate_of_id != obj.pk:
            return _("重复项")
        size = getattr(obj, "dup_group_size", None)
        if size is None:
            size = with_group_size(type(obj).objects.filter(pk=obj.pk)).get().dup_group_size
        return size if size > 1 else "—"

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The group panel shows other ideas: it needs to know who is looking.
            obj.viewer = request.user
        return obj

    @admin.display(description=_("同组金点子"))
    def duplicate_group_panel(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        if obj.duplicate_of_id is None:
            return _("尚未查重。")
        # No viewer (an object not loaded through get_object): show nobody's ideas.
        viewer = getattr(obj, "viewer", None)
        group = duplicate_group_for(suggestion=obj, user=viewer)
        proposals = _proposals_note(obj, viewer)
        if not group.shown and not group.hidden:
            return format_html("{}{}", _("没有重复项。"), proposals)
        others = (
            format_html(
                '<p class="duplicate-group-others">{}</p>',
                gettext("另有 %(n)d 条其他单位的相似建议") % {"n": group.hidden},
            )
            if group.hidden
            else ""
        )
        if not group.shown:
            return format_html("{}{}", others, proposals)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _link(member),
                    _("代表") if member.pk == member.duplicate_of_id else "",
                    member.unit.name,
                    mask_name(member.name),
                    mask_phone(member.phone),
                    "—"
                    if member.duplicate_similarity is None
                    else f"{member.duplicate_similarity:.2f}",
                    member.get_status_display(),
                )
                for member in group.shown
            ),
        )
        return format_html(
            '<table class="duplicate-group"><thead><tr><th>{}</th><th></th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>"
            "{}{}{}",
            _("回执号"),
            _("建议单位"),
            _("姓名"),
            _("手机号"),
            _("相似度"),
            _("状态"),
            rows,
            others,
            _why(obj, group.shown[: self.why_limit]),
            proposals,
        )

    @admin.action(description=_("确认为重复（记录在案）"), permissions=["decide"])
    def confirm_duplicate_group(self, request, queryset):
        done = _each(
            request, queryset, lambda s: duplicate_group_confirm(suggestion=s, user=request.user)
        )
        if done:
            self.message_user(request, gettext("已确认 %(n)d 条。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("拆分出重复组"), permissions=["decide"])
    def split_from_duplicate_group(self, request, queryset):
        done = _each(
            request, queryset, lambda s: duplicate_group_split(suggestion=s, user=request.user)
        )
        if done:
            self.message_user(request, gettext("已拆分 %(n)d 条。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("合并为一个重复组（并入最早一条所在组）"), permissions=["decide"])
    def merge_duplicates(self, request, queryset):
        chosen = list(queryset.order_by("pk"))
        if len(chosen) < 2:
            self.message_user(request, _("请至少选择两条金点子。"), messages.WARNING)
            return
        try:
            decisions = duplicates_merge(suggestions=chosen[1:], into=chosen[0], user=request.user)
        except DuplicateDecisionRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("已并入 %(n)d 条。") % {"n": len(decisions)},
            messages.SUCCESS,
        )

    @admin.action(description=_("设为所在重复组的代表"), permissions=["decide"])
    def set_duplicate_representative(self, request, queryset):
        chosen = list(queryset.order_by("pk")[:2])
        if len(chosen) != 1:
            self.message_user(request, _("请只选择一条金点子作为代表。"), messages.WARNING)
            return
        try:
            duplicate_group_set_representative(suggestion=chosen[0], user=request.user)
        except DuplicateDecisionRefused as refused:
            self.message_user(request, str(refused), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(receipt)s 已设为其重复组的代表。") % {"receipt": chosen[0].receipt},
            messages.SUCCESS,
        )

    def group_decision_confirmation(self, request, members, *, action: str, title: str):
        """The page a whole-group decision shows before it applies: every member the user
        may decide, its unit and group, each ticked; unticked members are left out."""
        members = list(
            members.select_related(None)
            .select_related("unit")
            .only("pk", "receipt", "title", "status", "duplicate_of_id", "unit__name")
            .order_by("duplicate_of_id", "pk")
        )
        # A group is named by its representative only when that idea is listed here too:
        # another unit's representative is not named.
        receipts = {member.pk: member.receipt for member in members}
        for member in members:
            if member.duplicate_of_id == member.pk:
                member.group_label = gettext("代表")
            elif member.duplicate_of_id in receipts:
                member.group_label = gettext("%(receipt)s 组") % {
                    "receipt": receipts[member.duplicate_of_id]
                }
            else:
                member.group_label = gettext("代表为其他单位的建议")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "action": action,
            "members": members,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/suggestions/suggestion/group_decision.html", context
        )

    # -- merge proposals: a later idea resembling two groups --
    def proposals_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        proposals = merge_proposals_for(user=request.user)
        if request.method == "POST":
            if not self.has_decide_permission(request):
                raise PermissionDenied
            proposal_id = parse_id(request.POST.get("proposal", ""))
            # Only a proposal this user may see: another unit's proposal is "not found".
            proposal = proposals.filter(pk=proposal_id).first() if proposal_id else None
            if proposal is None:
                raise Http404(gettext("没有找到这条合并建议，或它已处理过。"))
            decide = (
                merge_proposal_accept
                if request.POST.get("op") == "accept"
                else merge_proposal_reject
            )
            try:
                decide(proposal=proposal, user=request.user)
            except DuplicateDecisionRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, gettext("已处理合并建议。"))
            return HttpResponseRedirect(request.path)
        rows = [_proposal_row(proposal) for proposal in proposals[:100]]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("重复组合并建议"),
            "rows": rows,
            "can_decide": self.has_decide_permission(request),
        }
        return TemplateResponse(
            request, "admin/suggestions/suggestion/duplicate_proposals.html", context
        )


def _marked(segments):
    """Text runs with the shared ones in <mark> (every run escaped)."""
    return format_html_join(
        "",
        "{}",
        ((format_html("<mark>{}</mark>", text) if shared else text,) for text, shared in segments),
    )


def _places_text(places) -> str:
    return "、".join(places) if places else gettext("未提到地点")


def _why(obj, members):
    """Why each member is in the group: its text with what it shares with this idea marked,
    the similarity and the places each names."""
    if not members:
        return ""
    config = duplicate_config(obj.campaign_id)
    mine = comparable_text(obj.content)
    by_meaning = semantic_matches([obj.pk, *(member.pk for member in members)])
    blocks = []
    for member in members:
        why = explain(comparable_text(member.content), mine, config)
        # Joined through the semantic stage: the member itself, or this idea joining it.
        joined = member if member.pk in by_meaning else None
        if joined is None and obj.pk in by_meaning and obj.duplicate_of_id == member.pk:
            joined = obj
        head = gettext(
            "%(receipt)s · 相似度 %(score).2f（重合 %(jaccard).2f，包含 %(containment).2f）"
            " · 本条地点：%(mine)s · 该条地点：%(theirs)s"
        ) % {
            "receipt": member.receipt,
            "score": why.score,
            "jaccard": why.jaccard,
            "containment": why.containment,
            "mine": _places_text(why.places_b),
            "theirs": _places_text(why.places_a),
        }
        if joined is not None and joined.duplicate_similarity is not None:
            head += gettext(" · 语义相近（用词不同，句向量余弦 %(cosine).2f）") % {
                "cosine": joined.duplicate_similarity
            }
        blocks.append((head, _marked(why.segments_a)))
    return format_html(
        '<div class="duplicate-why"><h3>{}</h3>{}</div>',
        gettext("为什么归为一组（与本条相同的文字已标出）"),
        format_html_join(
            "",
            '<div class="duplicate-why-item"><p class="duplicate-why-head">{}</p>'
            '<p class="duplicate-why-text">{}</p></div>',
            blocks,
        ),
    )


def _proposals_note(obj, viewer):
    if viewer is None:
        return ""
    count = merge_proposals_for(user=viewer, via=obj).count()
    if not count:
        return ""
    try:
        url = reverse("admin:suggestions_suggestion_duplicate_proposals")
    except NoReverseMatch:
        return ""
    return format_html(
        '<p class="duplicate-proposals-note">{} <a href="{}">{}</a></p>',
        gettext("这条金点子与另一个重复组也相似，有 %(n)d 条合并建议待处理。") % {"n": count},
        url,
        gettext("查看合并建议"),
    )


def _proposal_row(proposal):
    config = duplicate_config(proposal.campaign_id)
    first, second = proposal.first.duplicate_of, proposal.second.duplicate_of
    via = proposal.via
    why_first = explain(comparable_text(via.content), comparable_text(first.content), config)
    why_second = explain(comparable_text(via.content), comparable_text(second.content), config)
    return {
        "proposal": proposal,
        "via": via,
        "first": first,
        "second": second,
        "first_size": type(first).objects.filter(duplicate_of_id=first.pk).count(),
        "second_size": type(second).objects.filter(duplicate_of_id=second.pk).count(),
        "first_text": _marked(why_first.segments_b),
        "second_text": _marked(why_second.segments_b),
        "first_score": f"{why_first.score:.2f}",
        "second_score": f"{why_second.score:.2f}",
        "first_places": _places_text(why_first.places_b),
        "second_places": _places_text(why_second.places_b),
        "via_places": _places_text(why_first.places_a),
    }


class DuplicateDecisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The idea's group decisions (who, when, what), read-only, for its detail page.

    A decision names the group's representative before and after; that idea may belong
    to another unit, so it is shown only when the user may see it (suggestions.common.scoping).
    """

    model = DuplicateDecision
    fk_name = "suggestion"
    fields = ["at", "action", "from_group", "to_group", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("重复组处理记录")

    # Whoever may open the idea may read its group history (the Suggestion admin scopes
    # which ideas that is); the roles have no separate permission for this log.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("suggestions.view_suggestion")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("actor", "from_representative", "to_representative")
            .annotate(
                from_visible=suggestion_visible_flag(user=request.user, path="from_representative"),
                to_visible=suggestion_visible_flag(user=request.user, path="to_representative"),
            )
        )

    @admin.display(description=_("原重复组代表"))
    def from_group(self, obj):
        return _representative(obj.from_representative, getattr(obj, "from_visible", False))

    @admin.display(description=_("新重复组代表"))
    def to_group(self, obj):
        return _representative(obj.to_representative, getattr(obj, "to_visible", False))


def _representative(suggestion, visible: bool):
    if suggestion is None:
        return "—"
    if not visible:
        return _("其他单位的建议")
    return _link(suggestion)


def _each(request, queryset, decide) -> int:
    done = 0
    for suggestion in queryset.order_by("pk"):
        try:
            decide(suggestion)
            done += 1
        except DuplicateDecisionRefused as refused:
            messages.error(request, f"{suggestion.receipt}: {refused}")
    return done


def _link(suggestion):
    try:
        url = reverse("admin:suggestions_suggestion_change", args=[suggestion.pk])
    except NoReverseMatch:
        return suggestion.receipt
    return format_html('<a href="{}">{}</a>', url, suggestion.receipt)
