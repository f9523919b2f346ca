"""Admin for personal data: the read-only access log and deletion requests.

PersonalDataAccess is evidence: nobody, not even a superuser, may add, change or
delete a row through admin. Deletion requests are handled from the log's page
(a citizen gives their receipt number) and by the admin action below, which the
idea admin lists in its actions.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from suggestions.common.admin import ReadOnlyModelAdmin
from suggestions.common.rules import can_administer
from suggestions.models import PersonalDataAccess, Suggestion
from suggestions.privacy.retention import ErasureRefused, suggestion_erase_contact


@admin.action(description=_("删除所选金点子的提交人个人信息（本人申请）"), permissions=["erase"])
def erase_contact_action(modeladmin, request, queryset):
    if not can_administer(request.user):
        raise PermissionDenied
    for suggestion_id in queryset.values_list("pk", flat=True):
        suggestion_erase_contact(
            suggestion_id=suggestion_id, user=request.user, reason="本人申请删除（批量）"
        )
    modeladmin.message_user(
        request, _("已删除 %(n)d 条金点子的提交人个人信息。") % {"n": queryset.count()}
    )


class ErasureRequestForm(forms.Form):
    receipt = forms.CharField(label=_("回执号"), max_length=24)
    reason = forms.CharField(label=_("申请说明"), max_length=200, required=False)

    def clean_receipt(self):
        receipt = self.cleaned_data["receipt"].strip().upper()
        suggestion = Suggestion.objects.filter(receipt=receipt).first()
        if suggestion is None:
            raise forms.ValidationError(_("没有这个回执号的金点子。"))
        self.suggestion = suggestion
        return receipt


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyModelAdmin):
    list_display = ["at", "user", "action", "suggestion", "detail"]
    list_filter = ["action"]
    list_select_related = ["user", "suggestion"]
    date_hierarchy = "at"
    raw_id_fields = ["user", "suggestion"]
    show_full_result_count = False
    change_list_template = "admin/suggestions/personaldataaccess/change_list.html"

    def get_urls(self):
        erase = path(
            "erase/",
            self.admin_site.admin_view(self.erase_view),
            name="suggestions_personaldataaccess_erase",
        )
        return [erase, *super().get_urls()]

    def erase_view(self, request):
        if not can_administer(request.user):
            raise PermissionDenied
        form = ErasureRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = suggestion_erase_contact(
                    suggestion_id=form.suggestion.pk,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ErasureRefused:
                raise PermissionDenied from None
            messages.success(
                request,
                _("已删除回执号 %(receipt)s 的提交人姓名和手机号，金点子内容保留。")
                % {"receipt": result.suggestion.receipt},
            )
            return redirect(reverse("admin:suggestions_personaldataaccess_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("处理个人信息删除申请"),
        }
        return TemplateResponse(request, "admin/suggestions/erase_request.html", context)
