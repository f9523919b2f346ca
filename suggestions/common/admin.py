from django.contrib import admin

from jincheng_portal.admin_params import CheckedParamsAdminMixin


class ReadOnlyAdminMixin:
    """Records staff read but nobody edits in admin (history, logs, generated figures)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(CheckedParamsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    pass
