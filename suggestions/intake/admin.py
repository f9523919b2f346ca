"""Admin for intake: campaigns and topics, partner API keys and the paper-form import.

Kept apart from the screening desk (suggestions/screening/admin.py).
"""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportMixin
from import_export.forms import ImportForm

from jincheng_portal.admin_params import CheckedParamsAdminMixin
from suggestions.common.admin import ReadOnlyModelAdmin
from suggestions.intake.channels import channel_key_create, channel_key_revoke
from suggestions.intake.paper_import import (
    PaperSuggestionResource,
    PaperXLSX,
    template_xlsx,
    xlsx_inspect,
)
from suggestions.models import Campaign, Channel, ChannelKey, PaperSuggestion, Topic


@admin.register(ChannelKey)
class ChannelKeyAdmin(CheckedParamsAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["channel"]
    fields = ["name", "channel", "prefix", "created_at", "created_by", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A key's name and channel are fixed once issued: revoke and create a new one.
        return [*self.readonly_fields, "name", "channel"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # keys are revoked, never deleted: ideas keep pointing at them

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, raw = channel_key_create(
            name=form.cleaned_data["name"],
            channel=form.cleaned_data["channel"],
            created_by=request.user,
        )
        obj.pk = key.pk
        obj.refresh_from_db()
        obj._raw_key = raw  # for response_add only; never stored

    def response_add(self, request, obj, post_url_continue=None):
        # Shown once, in this response only (not via the messages framework,
        # whose cookie would carry the key to the next page).
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "key": obj,
            "raw_key": obj._raw_key,
            "title": _("新密钥"),
        }
        return TemplateResponse(request, "admin/suggestions/channelkey/created.html", context)

    @admin.action(description=_("吊销所选密钥"), permissions=["change"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            channel_key_revoke(channel_key=key)
        self.message_user(
            request,
            ngettext("已吊销 %(n)d 个密钥。", "已吊销 %(n)d 个密钥。", len(keys))
            % {"n": len(keys)},
        )


class PaperImportForm(ImportForm):
    """Refuses oversized and hostile files before import-export stores or parses them."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.INTAKE_IMPORT_MAX_BYTES:
            raise ValidationError(
                _("文件超过 %(mb)d MB，请拆分后再导入。")
                % {"mb": settings.INTAKE_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        upload.seek(0)
        xlsx_inspect(upload.read())
        upload.seek(0)
        return upload


@admin.register(PaperSuggestion)
class PaperSuggestionAdmin(ImportMixin, ReadOnlyModelAdmin):
    """纸质意见表导入: template download, preview with row errors, confirm, one transaction."""

    resource_classes = [PaperSuggestionResource]
    formats = [PaperXLSX]
    import_form_class = PaperImportForm
    # Not change_list_template: import-export would then extend our template from itself
    # (TemplateDoesNotExist, a 500 on the list page after every confirmed import).
    import_export_change_list_template = "admin/suggestions/papersuggestion/change_list.html"
    list_display = ["receipt", "title", "unit", "submitted_by", "received_at"]
    list_select_related = ["unit", "submitted_by"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel=Channel.PAPER)

    def has_view_permission(self, request, obj=None):
        return self.has_import_permission(request)

    def has_import_permission(self, request):
        return request.user.has_perm("suggestions.add_papersuggestion")

    def get_urls(self):
        extra = [
            path(
                "template/",
                self.admin_site.admin_view(self.template_download),
                name="suggestions_papersuggestion_template",
            )
        ]
        return extra + super().get_urls()

    def template_download(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="paper-form-template.xlsx"'
        return response

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ValidationError):
            for message in e.messages:
                form.add_error("import_file", message)
            return
        form.add_error("import_file", _("无法读取该 Excel 文件，请使用下载的模板。"))


# Campaigns and topics: what the public form offers and when it is open.
@admin.register(Campaign)
class CampaignAdmin(CheckedParamsAdminMixin, admin.ModelAdmin):
    list_display = ["name", "receipt_prefix", "opens_at", "closes_at", "phase", "is_active"]
    list_filter = ["phase", "is_active"]
    prepopulated_fields = {"slug": ["receipt_prefix"]}


@admin.register(Topic)
class TopicAdmin(CheckedParamsAdminMixin, admin.ModelAdmin):
    list_display = ["name", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
