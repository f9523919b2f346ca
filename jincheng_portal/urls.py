from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from jincheng_portal.admin_site import portal_admin_site_install

# TOTP-aware login and permission check on the one admin site.
portal_admin_site_install()

# Language comes from the language cookie (set by /i18n/setlang/) or the
# browser's Accept-Language, not from a URL prefix, so links shared in WeChat
# work whatever language the reader uses.
urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Intake API: the mini-program and partners; schema and docs served locally.
    path("api/v1/", include(("suggestions.intake.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("suggestions.urls")),
    path("", include("suggestions.tallies.urls")),
    path("", include("suggestions.implementation.urls")),
]

if settings.INTAKE_BENCH_VIEWS:  # bench/intake's reference views; off unless the env flag is set
    from suggestions.intake import bench_views

    urlpatterns += [
        path("bench/constant/", bench_views.constant),
        path("bench/minimal-insert/", bench_views.minimal_insert),
    ]
# Clean Chinese error pages; a lost database answers 503 (jincheng_portal.errors).
handler500 = "jincheng_portal.errors.server_error"
