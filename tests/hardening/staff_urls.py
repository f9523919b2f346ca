"""Every staff-facing URL, discovered from the URLconf and the admin registry.

Both the scope test and the staff fuzz test call ``staff_routes()``: every URL pattern
is either filled with real values (``Route.fill`` gives the concrete paths), or listed
in ``SKIPPED`` with the reason. A pattern that is neither makes ``staff_routes`` raise,
so a URL added later is never left out silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

# Patterns that are not rendered, and why. Keys are routes as the URLconf spells them.
SKIPPED = {
    "admin/logout/": "ends the session the walk runs in (POST only, shows no data)",
    "admin/(?P<url>.*)$": "catch-all: any other admin path redirects to the login or 404s",
    "submit/receipt/<str:token>/": (
        "public: a citizen's signed token for their own submission, not a staff page"
    ),
}

# Public pages: rendered too (logged in as staff they must not show more), no fill needed.
PUBLIC = {
    "",
    "submit/",
    "lookup/",
    "privacy/",
    "ideas/",
    "i18n/setlang/",
    "care-mode/",
    "api/schema/",
    "api/docs/",
    "api/redoc/",
    "api/v1/suggestions/",
}

# An admin route about one object: Django's <path:object_id>, third-party <id>, <int:pk>.
OBJECT_PARAM = re.compile(r"<(?:\w+:)?(?:object_id|id|pk)>")

# Reference tables can be large (153 units): their object pages are sampled.
OBJECT_SAMPLE = 12


@dataclass
class Route:
    route: str
    name: str | None
    model_admin: admin.ModelAdmin | None = None
    fill: Callable[[object], list[str]] = field(default=lambda user: [])

    def __repr__(self):
        return f"<Route {self.route}>"


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _model_admin_for(route: str):
    for model, model_admin in admin.site._registry.items():
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if route.startswith(base):
            return model_admin
    return None


def reachable_ids(model_admin, user, extra_ids=()) -> list:
    """Ids of the objects the user's admin queryset holds (sampled), plus extra_ids."""
    request = RequestFactory().get("/")
    request.user = user
    queryset = model_admin.get_queryset(request).order_by("pk")
    ids = list(queryset.values_list("pk", flat=True)[:OBJECT_SAMPLE])
    model = model_admin.model
    extra = model._default_manager.filter(pk__in=list(extra_ids)).values_list("pk", flat=True)
    return sorted(set(ids) | set(extra))


def _object_fill(route: str, model_admin, interesting: Callable[[models.Model], list]):
    def fill(user):
        ids = reachable_ids(model_admin, user, interesting(model_admin.model))
        return ["/" + OBJECT_PARAM.sub(str(pk), route) for pk in ids]

    return fill


def autocomplete_sources() -> list[dict]:
    """Every (app_label, model_name, field_name) the admin's autocomplete answers for."""
    sources = []
    for model in admin.site._registry:
        for model_field in model._meta.get_fields():
            if not (model_field.is_relation and model_field.concrete):
                continue
            remote = model_field.related_model
            remote_admin = admin.site._registry.get(remote)
            if remote_admin is None or not remote_admin.search_fields:
                continue
            sources.append(
                {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": model_field.name,
                }
            )
    return sources


def staff_routes(*, unit_ids: Callable[[object], list[int]], interesting, receipts) -> list[Route]:
    """Every URL pattern of the project, ready to fill for a user; raises on an unknown one.

    unit_ids(user): unit ids to put into the tallies' <int:unit_id> routes.
    interesting(model): object ids worth visiting beyond the sample (the test's dataset).
    receipts: receipt numbers for the API's <str:receipt> route.
    """
    routes, unknown = [], []
    for route, pattern in _walk(get_resolver().url_patterns):
        name = pattern.name
        if route in SKIPPED:
            continue
        model_admin = _model_admin_for(route)
        if route in PUBLIC or not re.search(r"<|\(\?P", route):
            routes.append(Route(route, name, model_admin, lambda user, r=route: ["/" + r]))
        elif model_admin is not None and route.count("<") == 1 and OBJECT_PARAM.search(route):
            routes.append(
                Route(route, name, model_admin, _object_fill(route, model_admin, interesting))
            )
        elif name == "app_list":
            labels = re.search(r"\(\?P<app_label>([^)]*)\)", route).group(1).split("|")
            prefix = route.split("^")[0]
            routes.append(
                Route(
                    route, name, None, lambda user, p=prefix, ls=labels: [f"/{p}{a}/" for a in ls]
                )
            )
        elif name == "view_on_site":
            routes.append(Route(route, name, None, _view_on_site_fill(route, interesting)))
        elif "<int:unit_id>" in route and route.count("<") == 1:
            routes.append(
                Route(
                    route,
                    name,
                    None,
                    lambda user, r=route: [
                        "/" + r.replace("<int:unit_id>", str(u)) for u in unit_ids(user)
                    ],
                )
            )
        elif "<str:receipt>" in route and route.count("<") == 1:
            routes.append(
                Route(
                    route,
                    name,
                    None,
                    lambda user, r=route: ["/" + r.replace("<str:receipt>", x) for x in receipts],
                )
            )
        else:
            unknown.append(route)
    if unknown:
        raise LookupError(
            "URL patterns the staff walk does not know how to fill; give them a fill in "
            f"tests/hardening/staff_urls.py or list them in SKIPPED with a reason: {unknown}"
        )
    return routes


def _view_on_site_fill(route: str, interesting):
    def fill(user):
        paths = []
        for model in admin.site._registry:
            ids = interesting(model)
            if not ids:
                continue
            content_type = ContentType.objects.get_for_model(model)
            for pk in ids:
                paths.append(
                    "/"
                    + route.replace("<path:content_type_id>", str(content_type.pk)).replace(
                        "<path:object_id>", str(pk)
                    )
                )
        return paths

    return fill
