from django.conf import settings
from django.contrib import admin
from django.urls import include, path

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
