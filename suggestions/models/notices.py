from django.db import models
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import StatusChange


class OutcomeNotice(models.Model):
    """One outcome message per decision, so a task that runs twice sends once."""

    status_change = models.OneToOneField(
        StatusChange, on_delete=models.PROTECT, related_name="notice", verbose_name=_("状态变更")
    )
    backend = models.CharField(_("通知方式"), max_length=100)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("结果通知")
        verbose_name_plural = _("结果通知")

    def __str__(self):
        return f"{self.status_change_id} {self.backend} {self.sent_at or '-'}"
