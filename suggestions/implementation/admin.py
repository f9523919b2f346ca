"""The implementation desk (落实台账): adoption, assignment, progress, confirmation, reply.

Scoped like the screening desk: city roles see every excellent idea; unit staff see the
ideas assigned to their units (as lead or co-unit, even ideas from other units) and
those of their own units. Contact data is always masked here. Every button posts to
one view that calls the workflow; nothing here changes a status itself.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jincheng_portal.admin_params import parse_id
from suggestions.common import rules
from suggestions.common.admin import ReadOnlyModelAdmin
from suggestions.common.rules import Actor
from suggestions.common.scoping import implementations_visible
from suggestions.implementation.selectors import overdue_today
from suggestions.implementation.workflow import (
    TRANSITIONS,
    Inputs,
    TransitionRefused,
    allowed_actions,
    implementation_act,
)
from suggestions.models import (
    ActionVia,
    Implementation,
    ImplementationAction,
    ImplementationReminder,
    ImplementationStatus,
)
from suggestions.models.implementation import LATE_STATES
from suggestions.privacy.services import mask_name, mask_phone
from units.models import Unit

Act = ImplementationAction
# Steps whose public flag the staff member chooses (the others use the table's default).
PUBLIC_CHOICE = (Act.PROGRESS, Act.COMPLETE, Act.REPLY)


class OverdueFilter(admin.SimpleListFilter):
    """逾期: assigned work past its due date and not yet reported done."""

    title = gettext_lazy("逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已逾期")), ("no", _("未逾期"))]

    def queryset(self, request, queryset):
        # Filtered in place (served by the (status, due_date) index), not "pk IN (…)".
        if self.value() == "yes":
            return queryset.overdue(overdue_today())
        if self.value() == "no":
            late = Q(status__in=LATE_STATES, due_date__lt=overdue_today())
            return queryset.exclude(late)
        return queryset


class UnitChoiceField(forms.ModelChoiceField):
    """An id beyond 64 bits (or in non-ASCII digits) is an invalid choice, not a database
    error (SQLite overflows, PostgreSQL refuses it out of range)."""

    def to_python(self, value):
        if value not in self.empty_values and parse_id(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    """As UnitChoiceField, for each of several ids."""

    def _check_values(self, value):
        for pk in value:
            if parse_id(str(pk)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class ActForm(forms.Form):
    """Everything a step may carry; the workflow decides what is required."""

    note = forms.CharField(label=gettext_lazy("说明"), required=False, widget=forms.Textarea)
    percent = forms.IntegerField(label=gettext_lazy("进度（%）"), required=False)
    reason = forms.CharField(label=gettext_lazy("调低进度原因"), required=False)
    lead_unit = UnitChoiceField(
        label=gettext_lazy("承办单位"), queryset=Unit.objects.active(), required=False
    )
    co_units = UnitsChoiceField(
        label=gettext_lazy("协办单位"), queryset=Unit.objects.active(), required=False
    )
    due_date = forms.DateField(
        label=gettext_lazy("办结期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    public = forms.BooleanField(label=gettext_lazy("在查询页公开"), required=False, initial=True)


def _actor(request) -> Actor:
    """The request's actor, built once: the changelist asks for the action permissions
    several times per page, and each Actor reads the staff member's units."""
    actor = getattr(request, "_implementation_actor", None)
    if actor is None:
        actor = request._implementation_actor = Actor.of(request.user)
    return actor


@admin.register(Implementation)
class ImplementationAdmin(admin.ModelAdmin):
    list_display = [
        "receipt",
        "title",
        "idea_unit",
        "status",
        "lead_unit",
        "due_date",
        "percent",
        "last_progress_at",
        "is_overdue",
    ]
    list_display_links = ["receipt", "title"]
    list_filter = ["status", OverdueFilter, "campaign"]
    list_select_related = ["suggestion", "suggestion__unit", "lead_unit"]
    search_fields = ["suggestion__receipt"]
    search_help_text = gettext_lazy("回执号")
    show_full_result_count = False
    list_per_page = 50
    actions = ["adopt", "reference", "confirm"]
    fields = [
        "receipt",
        "title",
        "content",
        "idea_unit",
        "masked_name",
        "masked_phone",
        "status",
        "lead_unit",
        "co_unit_names",
        "due_date",
        "percent",
        "last_progress_at",
        "reply_text",
        "reply_public",
        "reply_approved_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/suggestions/implementation/change_form.html"

    # -- scope and permissions --
    def get_queryset(self, request):
        return implementations_visible(user=request.user, queryset=super().get_queryset(request))

    def has_add_permission(self, request):
        return False  # a record per excellent idea, opened by the workflow

    def has_change_permission(self, request, obj=None):
        return False  # steps go through the workflow forms

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return rules.can_decide_adoption(_actor(request))

    def _scoped_object(self, request, object_id) -> Implementation:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("没有找到这条记录。"))
        return obj

    # -- columns --
    @admin.display(description=gettext_lazy("回执号"), ordering="suggestion__receipt")
    def receipt(self, obj):
        return obj.suggestion.receipt

    @admin.display(description=gettext_lazy("标题"))
    def title(self, obj):
        return obj.suggestion.title

    @admin.display(description=gettext_lazy("内容"))
    def content(self, obj):
        return obj.suggestion.content

    @admin.display(description=gettext_lazy("建议单位"))
    def idea_unit(self, obj):
        return obj.suggestion.unit

    @admin.display(description=gettext_lazy("姓名"))
    def masked_name(self, obj):
        return mask_name(obj.suggestion.name)

    @admin.display(description=gettext_lazy("手机号"))
    def masked_phone(self, obj):
        return mask_phone(obj.suggestion.phone)

    @admin.display(description=gettext_lazy("协办单位"))
    def co_unit_names(self, obj):
        return "、".join(u.name for u in obj.co_units.all()) or "-"

    @admin.display(description=gettext_lazy("逾期"), boolean=True)
    def is_overdue(self, obj):
        return (
            obj.status in (ImplementationStatus.ASSIGNED, ImplementationStatus.IN_PROGRESS)
            and obj.due_date is not None
            and obj.due_date < overdue_today()
        )

    # -- views --
    def get_urls(self):
        wrap = self.admin_site.admin_view
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/act/",
                wrap(require_POST(self.act_view)),
                name=f"{info}_act",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        obj = self._scoped_object(request, object_id)
        actor = _actor(request)
        actions = [
            {"value": a, "label": Act(a).label, "needs_note": TRANSITIONS[a].needs_note}
            for a in allowed_actions(actor, obj)
        ]
        context = {
            "implementation_actions": actions,
            "act_form": ActForm(initial={"percent": obj.percent, "due_date": obj.due_date}),
            "history": obj.history.select_related("actor", "lead_unit"),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def history_view(self, request, object_id, extra_context=None):
        self._scoped_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._scoped_object(request, object_id)
        raise PermissionDenied

    def act_view(self, request, object_id):
        obj = self._scoped_object(request, object_id)
        action = request.POST.get("action", "")
        if action not in TRANSITIONS:
            raise PermissionDenied
        try:
            # Act from the version the user saw, so a concurrent change is caught.
            obj.version = int(request.POST.get("seen_version", ""))
        except ValueError:
            raise PermissionDenied from None
        seen_status = request.POST.get("seen_status", obj.status)
        if seen_status not in ImplementationStatus.values:
            raise PermissionDenied
        obj.status = seen_status
        form = ActForm(request.POST)
        url = reverse("admin:suggestions_implementation_change", args=[obj.pk])
        if not form.is_valid():
            messages.error(request, _("填写有误：%(errors)s") % {"errors": form.errors.as_text()})
            return HttpResponseRedirect(url)
        data = form.cleaned_data
        try:
            implementation_act(
                implementation=obj,
                action=action,
                actor=_actor(request),
                inputs=Inputs(
                    note=data["note"],
                    reason=data["reason"],
                    percent=data["percent"],
                    lead_unit=data["lead_unit"],
                    co_units=tuple(data["co_units"]),
                    due_date=data["due_date"],
                ),
                public=data["public"]
                if action in (Act.PROGRESS, Act.COMPLETE, Act.REPLY)
                else None,
                via=ActionVia.ADMIN,
            )
        except TransitionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("已完成“%(action)s”。") % {"action": Act(action).label})
        return HttpResponseRedirect(url)

    # -- bulk actions (steps that carry nothing but the decision) --
    def _bulk(self, request, queryset, action: str):
        actor = _actor(request)
        done, refused = 0, []
        for obj in queryset.select_related("suggestion")[:1000]:
            try:
                implementation_act(
                    implementation=obj, action=action, actor=actor, via=ActionVia.BULK
                )
            except TransitionRefused as exc:
                refused.append(f"{obj.suggestion.receipt}：{exc}")
            else:
                done += 1
        if done:
            messages.success(
                request,
                _("%(n)s 条已“%(action)s”。") % {"n": done, "action": Act(action).label},
            )
        for line in refused[:20]:
            messages.warning(request, line)

    @admin.action(description=gettext_lazy("采纳所选金点子"), permissions=["decide"])
    def adopt(self, request, queryset):
        self._bulk(request, queryset, Act.ADOPT)

    @admin.action(description=gettext_lazy("将所选列为参考"), permissions=["decide"])
    def reference(self, request, queryset):
        self._bulk(request, queryset, Act.REFERENCE)

    @admin.action(description=gettext_lazy("确认所选已落实"), permissions=["decide"])
    def confirm(self, request, queryset):
        self._bulk(request, queryset, Act.CONFIRM)


@admin.register(ImplementationReminder)
class ImplementationReminderAdmin(ReadOnlyModelAdmin):
    """催办 reminders sent (one per lead unit and day); read-only evidence."""

    list_display = ["day", "unit", "overdue", "stale", "sent_at", "backend", "error"]
    list_filter = ["day"]
    list_select_related = ["unit"]
    search_fields = ["unit__name", "receipts"]
