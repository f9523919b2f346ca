"""Staff admin parameters, checked before any of them reaches a query: the one place.

Two layers, both here:

- Every admin view (``PortalAdminSite.admin_view`` wraps them all, custom views and the
  autocomplete included): NUL and other control characters in a GET or POST parameter
  are refused. A changelist (or the export of one) answers as the changelist does for any
  bad lookup (a redirect to ``?e=1``); other views answer 400. PostgreSQL cannot store or
  compare NUL, so without this a NUL in a filter, a search term or a reason is a 500.
- Changelists (``CheckedChangeList``, through ``CheckedParamsAdminMixin``): a lookup on an
  integer field or a foreign key takes ASCII integers within the 64-bit range, a lookup on
  a field with choices takes one of the choices, a list filter takes one of its own
  options (or, marked ``value_kind = "id"``, an ASCII integer id), the date hierarchy takes
  small ASCII integers. Anything else raises ``IncorrectLookupParameters``, which the
  changelist (and the desk's export, which builds the same changelist) turns into the
  usual "invalid lookup" answer instead of a server error.

Python's ``str.isdigit()`` and ``int()`` accept non-ASCII digits ("²", "٣"): ids are parsed
with ``parse_id`` only.
"""

from __future__ import annotations

import re
from functools import wraps

from django.contrib.admin import FieldListFilter, SimpleListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import FieldDoesNotExist, SuspiciousOperation
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse

BIGINT_MAX = 2**63 - 1
# C0 controls except tab, line feed and carriage return (which a textarea sends), and DEL.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ASCII_INT_RE = re.compile(r"-?[0-9]{1,19}")
LIST_VIEWS = ("_changelist", "_export")
_INTEGER_LOOKUPS = {"exact", "in", "gt", "gte", "lt", "lte", "iexact"}
_CHOICE_LOOKUPS = {"exact", "in", "iexact"}


class BadAdminParameter(SuspiciousOperation):
    """A parameter no admin page accepts (answered 400 and logged as suspicious)."""


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_RE.search(value))


def parse_id(value) -> int | None:
    """An object id from a parameter: ASCII digits within the 64-bit range, else None."""
    if not isinstance(value, str) or not ASCII_INT_RE.fullmatch(value):
        return None
    number = int(value)
    return number if -BIGINT_MAX <= number <= BIGINT_MAX else None


def _values(querydict) -> list[tuple[str, str]]:
    return [(key, value) for key, values in querydict.lists() for value in values]


def params_with_control_characters(request) -> list[str]:
    """Names of GET/POST parameters whose name or value holds a control character."""
    found = []
    for querydict in (request.GET, request.POST):
        for key, value in _values(querydict):
            if has_control_characters(key) or has_control_characters(value):
                found.append(key)
    return found


def refuse_control_characters(view):
    """Wrap an admin view: control characters in any parameter never reach it."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if params_with_control_characters(request):
            match = getattr(request, "resolver_match", None)
            url_name = (match.url_name or "") if match else ""
            if request.method == "GET" and url_name.endswith(LIST_VIEWS):
                # A list, or an export of one: answered as the list answers a bad lookup.
                changelist = url_name.rsplit("_", 1)[0] + "_changelist"
                url = reverse(f"{match.namespace}:{changelist}")
                return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
            raise BadAdminParameter("Control characters in an admin parameter.")
        if "" in (request.POST.get("_to_field"), request.GET.get("_to_field")):
            # Django's object views skip the to-field check for an empty name, then look
            # the field '' up (FieldDoesNotExist, a 500).
            raise BadAdminParameter("An empty _to_field.")
        return view(request, *args, **kwargs)

    return checked


# --- changelist lookups ---------------------------------------------------------


def _resolve(model, key: str) -> tuple[models.Field | None, str]:
    """The field a lookup parameter filters on, and its lookup ("exact" if none)."""
    parts = key.split("__")
    for cut, lookup in ((len(parts), "exact"), (len(parts) - 1, parts[-1])):
        if cut < 1:
            continue
        try:
            field = get_fields_from_path(model, "__".join(parts[:cut]))[-1]
        except (FieldDoesNotExist, NotRelationField, AttributeError, TypeError):
            continue
        if isinstance(field, models.ForeignObjectRel):
            field = field.remote_field.model._meta.pk
        elif field.is_relation and getattr(field, "target_field", None) is not None:
            # A foreign key's own choices are not the target's: check the target's type.
            field = field.target_field
        return field, lookup
    return None, ""


def _split(key: str, value: str) -> list[str]:
    return value.split(",") if key.endswith("__in") else [value]


def lookup_error(model, key: str, value: str) -> str | None:
    """Why this changelist lookup must be refused, or None when it may be tried."""
    if has_control_characters(key) or has_control_characters(value):
        return "control character"
    field, lookup = _resolve(model, key)
    if field is None or lookup == "isnull":
        return None
    integer = isinstance(field, models.IntegerField | models.AutoField)
    items = _split(key, value)
    if integer and lookup in _INTEGER_LOOKUPS and any(parse_id(item) is None for item in items):
        return f"{key}: not an integer in range"
    if field.choices and lookup in _CHOICE_LOOKUPS:
        allowed = {str(choice) for choice, _label in field.flatchoices}
        if any(item not in allowed for item in items):
            return f"{key}: not one of the choices"
    return None


def _date_hierarchy_error(changelist, params: dict) -> str | None:
    if not changelist.date_hierarchy:
        return None
    limits = {"year": (1, 9999), "month": (1, 12), "day": (1, 31)}
    for part, (low, high) in limits.items():
        for value in params.get(f"{changelist.date_hierarchy}__{part}", []):
            number = parse_id(value)
            if number is None or not low <= number <= high:
                return f"date hierarchy {part}"
    return None


class CheckedChangeList(ChangeList):
    def get_filters_params(self, params=None):
        params = super().get_filters_params(params)
        error = _date_hierarchy_error(self, params)
        # A list filter's own parameter is checked against its options in get_filters.
        own = {getattr(f, "parameter_name", None) for f in self.list_filter if callable(f)}
        for key, values in params.items():
            for value in values:
                if key in own:
                    error = error or (
                        "control character" if has_control_characters(value) else None
                    )
                else:
                    error = error or lookup_error(self.model, key, value)
        if error:
            raise IncorrectLookupParameters(error)
        return params

    def get_filters(self, request):
        result = super().get_filters(request)
        for spec in result[0]:
            if isinstance(spec, SimpleListFilter):
                _check_simple_filter(spec)
            elif isinstance(spec, FieldListFilter):
                continue  # its parameters were checked as lookups above
        return result


def _check_simple_filter(spec: SimpleListFilter) -> None:
    value = spec.value()
    if value is None:
        return
    if getattr(spec, "value_kind", None) == "id":
        ok = parse_id(value) is not None
    else:
        ok = value in {str(choice) for choice, _label in spec.lookup_choices}
    if not ok:
        raise IncorrectLookupParameters(f"{spec.parameter_name}: not one of the options")


# --- forms: autocomplete widgets --------------------------------------------------------


class _CheckedAutocompleteMixin:
    """Django's autocomplete widget filters the related table with the submitted value
    when it re-renders an invalid form: "²" for an integer key was a ValueError (500).
    Values the key's type cannot hold are dropped (the form itself reports them)."""

    def optgroups(self, name, value, attr=None):
        target = self.field.target_field
        if isinstance(target, models.IntegerField | models.AutoField):
            value = [v for v in value if parse_id(str(v)) is not None]
        return super().optgroups(name, value, attr)


class CheckedAutocompleteSelect(_CheckedAutocompleteMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_CheckedAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class CheckedParamsAdminMixin:
    """Mix into a ModelAdmin: its changelist (and what builds on it) checks parameters,
    and its autocomplete widgets survive values of the wrong type."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
