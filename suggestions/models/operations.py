from django.db import models
from django.utils.translation import gettext_lazy as _


class SigningKeyProof(models.Model):
    """A value signed with the deployment's SECRET_KEY, written by the first node to be
    ready (and by a node rotating to a new key). A node whose key and fallbacks verify
    none of the latest two refuses to become ready (jincheng_portal/health.py)."""

    signed = models.CharField(_("签名值"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("密钥校验值")
        verbose_name_plural = _("密钥校验值")

    def __str__(self):
        return f"{self.pk} {self.created_at:%Y-%m-%d %H:%M}"
