"""Duplicate-group pieces of the Suggestion admin (mixed into suggestions.screening.admin).

The Suggestion admin itself belongs to suggestions/screening/admin.py. This module offers a mixin
with a list filter, a group-size column, a read-only group panel for the detail page and
three actions (confirm / split off / merge) that call suggestions.duplicates.services.
"""

from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from suggestions.common.admin import ReadOnlyAdminMixin
from suggestions.common.scoping import suggestion_visible_flag
from suggestions.duplicates.decisions import (
    DuplicateDecisionRefused,
    duplicate_group_confirm,
    duplicate_group_split,
    duplicates_merge,
)
from suggestions.duplicates.selectors import duplicate_group_for, with_group_size
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
        group = duplicate_group_for(suggestion=obj, user=getattr(obj, "viewer", None))
        if not group.shown and not group.hidden:
            return _("没有重复项。")
        others = (
            format_html(
                '<p class="duplicate-group-others">{}</p>',
                gettext("另有 %(n)d 条其他单位的相似建议") % {"n": group.hidden},
            )
            if group.hidden
            else ""
        )
        if not group.shown:
            return others
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
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>{}",
            _("回执号"),
            _("建议单位"),
            _("姓名"),
            _("手机号"),
            _("相似度"),
            _("状态"),
            rows,
            others,
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
