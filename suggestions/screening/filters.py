"""List filters of the screening desk."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from jincheng_portal.admin_params import parse_id
from suggestions.common.scoping import visible_unit_ids
from units.models import Unit


class UnitTreeFilter(admin.SimpleListFilter):
    """The user's visible units, indented by level; a unit includes its sub-units."""

    title = gettext_lazy("建议单位")
    parameter_name = "unit"
    # Any unit id is a valid parameter (jincheng_portal.admin_params); one outside the
    # user's units simply matches nothing.
    value_kind = "id"

    def lookups(self, request, model_admin):
        ids = visible_unit_ids(request.user)
        units = Unit.objects.order_by("path").only("pk", "name", "path")
        if ids is not None:
            units = units.filter(pk__in=ids)
        units = list(units)
        top = min((u.path.count("/") for u in units), default=1)
        return [(str(u.pk), "\u3000" * (u.path.count("/") - top) + u.name) for u in units]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        unit_id = parse_id(value)
        unit = Unit.objects.filter(pk=unit_id).first() if unit_id is not None else None
        if unit is None:
            return queryset.none()
        # Scope still applies: queryset is already limited to the visible units.
        return queryset.filter(
            unit_id__in=list(Unit.objects.within(unit).values_list("pk", flat=True))
        )
