from django.db import models
from django.utils.translation import gettext_lazy as _


class SetAsideReason(models.Model):
    """A preset reason for 设为未入选, offered on the triage view (administrators edit the list)."""

    text = models.CharField(_("理由"), max_length=100, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("未入选理由预设")
        verbose_name_plural = _("未入选理由预设")

    def __str__(self):
        return self.text
