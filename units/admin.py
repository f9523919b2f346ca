from django.contrib import admin

from jincheng_portal.admin_params import CheckedParamsAdminMixin
from units.models import ScreenerMembership, SupervisionGroup, Unit


@admin.register(Unit)
class UnitAdmin(CheckedParamsAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "sort_order", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(CheckedParamsAdminMixin, admin.ModelAdmin):
    list_display = ["name", "leader_name"]
    search_fields = ["name", "leader_name"]
    filter_horizontal = ["units"]


@admin.register(ScreenerMembership)
class ScreenerMembershipAdmin(CheckedParamsAdminMixin, admin.ModelAdmin):
    list_display = ["user", "unit"]
    list_select_related = ["user", "unit"]
    autocomplete_fields = ["user", "unit"]
    search_fields = ["user__username", "unit__name"]
