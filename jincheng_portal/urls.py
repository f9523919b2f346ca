from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from jincheng_portal.admin_site import portal_admin_site_install
from jincheng_portal.care import care_mode_set

# TOTP-aware login and permission check on the one admin site.
portal_admin_site_install()


def favicon(request):
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# Language comes from the language cookie (set by /i18n/setlang/) or the
# browser's Accept-Language, not from a URL prefix, so links shared in WeChat
# work whatever language the reader uses.
urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on pages without an icon link (the error pages).
    path("favicon.ico", favicon, name="favicon"),
    # 关怀模式 on/off (a cookie), for every public page's header.
    path("care-mode/", care_mode_set, name="care-mode"),
    # Intake API: the mini-program and partners; schema and docs served locally.
    path("api/v1/", include(("suggestions.intake.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's page and its init script as two same-origin files (no inline code: CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Redoc injects <style> elements at run time and loads Google Fonts, which the CSP
    # rightly blocks; old links land on Swagger UI, the one docs page.
    path(
        "api/redoc/",
        RedirectView.as_view(pattern_name="api-docs", permanent=True),
        name="api-redoc",
    ),
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
