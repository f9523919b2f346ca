"""Second factor for the staff admin: TOTP codes (django-otp), opt-in per account.

- An account with a confirmed TOTP device must type its current 6-digit code at
  login; accounts without one log in with their password as before.
- With ADMIN_OTP_REQUIRED on, city administrators (and superusers) are only let into
  admin after a verified code, so an administrator without a device is refused.
- Devices are enrolled with `manage.py totp_enrol <username>` (prints the secret and
  the otpauth:// link for the authenticator app).

The default admin site keeps its identity (every app registers on admin.site); only
its class is swapped, the way django-otp's own OTPAdminSite is meant to be installed.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

from jincheng_portal.admin_params import refuse_control_characters
from units.roles import is_city_admin


def otp_required_for(user) -> bool:
    return settings.ADMIN_OTP_REQUIRED and is_city_admin(user)


class PortalLoginForm(OTPAdminAuthenticationForm):
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("请输入身份验证器上的 6 位动态验证码。"),
        "invalid_token": _("动态验证码不正确，请重新输入。"),
    }

    def clean(self):
        # AdminAuthenticationForm.clean checks the password; then the code, if any.
        self.cleaned_data = super(OTPAdminAuthenticationForm, self).clean()
        user = self.get_user()
        devices = list(devices_for_user(user, confirmed=True)) if user else []
        if user is None:
            return self.cleaned_data
        if not devices:
            if otp_required_for(user):
                raise forms.ValidationError(
                    _("管理员账号必须绑定身份验证器后才能登录，请联系系统运维人员。"),
                    code="otp_device_missing",
                )
            return self.cleaned_data
        if not self.cleaned_data.get("otp_device") and len(devices) == 1:
            self.cleaned_data["otp_device"] = devices[0].persistent_id
        self.clean_otp(user)
        return self.cleaned_data


class PortalAdminSite(admin.AdminSite):
    login_form = PortalLoginForm
    login_template = "admin/login_otp.html"
    site_header = _("晋城金点子 · 筛选工作台")
    site_title = _("金点子筛选工作台")
    index_title = _("工作台首页")
    # The collapsible app sidebar took a fifth of the screen from the desk's list.
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        # Every admin page, the custom ones and the autocomplete included: parameters
        # with control characters are refused before the view (jincheng_portal.admin_params).
        return super().admin_view(refuse_control_characters(view), cacheable)

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if otp_required_for(request.user):
            return request.user.is_verified()
        return True


def portal_admin_site_install() -> None:
    admin.site.__class__ = PortalAdminSite
