from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from jincheng_portal.admin_site import portal_admin_site_install

# TOTP-aware login and permission check on the one admin site (issue 7).
portal_admin_site_install()

# Language comes from the language cookie (set by /i18n/setlang/) or the
# browser's Accept-Language, not from a URL prefix, so links shared in WeChat
# work whatever language the reader uses.
urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("", include("suggestions.urls")),
]

# Clean Chinese error pages; a lost database answers 503 (jincheng_portal.errors).
handler500 = "jincheng_portal.errors.server_error"
