"""大家干: adopting excellent ideas and tracking their implementation to the end.

One Implementation row per excellent idea, changed only by
suggestions.implementation.workflow; every change leaves one append-only
ImplementationChange row (the public timeline is the rows marked public).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import ActionVia, Campaign, DecisionRecord, Suggestion
from units.models import Unit


class ImplementationStatus(models.TextChoices):
    PENDING = "pending", _("待研究")
    ADOPTED = "adopted", _("采纳")
    REFERENCE = "reference", _("参考")
    NOT_ADOPTED = "not_adopted", _("暂不采纳")
    ASSIGNED = "assigned", _("已交办")
    IN_PROGRESS = "in_progress", _("推进中")
    COMPLETED = "completed", _("已落实（待确认）")
    CONFIRMED = "confirmed", _("已落实")


# States in which a lead unit carries the idea out (assigned and not yet confirmed).
OPEN_STATES = (
    ImplementationStatus.ASSIGNED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.COMPLETED,
)
# States that count as adopted for 采纳率 (adopted, then everything after assignment).
ADOPTED_STATES = (
    ImplementationStatus.ADOPTED,
    ImplementationStatus.ASSIGNED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.COMPLETED,
    ImplementationStatus.CONFIRMED,
)
# States a lead unit is responsible for: these need a lead unit and a due date.
_ASSIGNED_STATES = (*OPEN_STATES, ImplementationStatus.CONFIRMED)


# Assigned work that can be late (completed-awaiting-confirmation counts as done).
LATE_STATES = (ImplementationStatus.ASSIGNED, ImplementationStatus.IN_PROGRESS)


class ImplementationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATES)

    def overdue(self, today):
        """Assigned work not finished by its due date (completed-awaiting-confirm is done)."""
        return self.filter(status__in=LATE_STATES, due_date__lt=today)

    def stale(self, since):
        """Assigned work without a progress update since the given moment."""
        return self.filter(
            status__in=(ImplementationStatus.ASSIGNED, ImplementationStatus.IN_PROGRESS),
            last_progress_at__lt=since,
        )


class Implementation(models.Model):
    """The adoption decision and the implementation of one excellent idea."""

    suggestion = models.OneToOneField(
        Suggestion,
        verbose_name=_("金点子"),
        on_delete=models.PROTECT,
        related_name="implementation",
    )
    # Copied from the idea: figures group by campaign without a join.
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("征集活动"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("落实状态"),
        max_length=16,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.PENDING,
        editable=False,
    )
    # Bumped by every workflow write: a conditional UPDATE on the version the actor
    # saw tells the second of two concurrent updates that it lost.
    version = models.PositiveIntegerField(default=0, editable=False)
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_implementations",
    )
    co_units = models.ManyToManyField(
        Unit, verbose_name=_("协办单位"), blank=True, related_name="co_implementations"
    )
    due_date = models.DateField(_("办结期限"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True, editable=False)
    percent = models.PositiveSmallIntegerField(_("进度（%）"), default=0, editable=False)
    last_progress_at = models.DateTimeField(_("最近更新"), null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # 答复: the official reply, public only once approved by the city.
    reply_text = models.TextField(_("答复内容"), max_length=2000, blank=True)
    reply_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply_approved_at = models.DateTimeField(_("答复审核时间"), null=True, blank=True)
    reply_public = models.BooleanField(_("答复公开"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ImplementationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("采纳与落实")
        verbose_name_plural = _("采纳与落实")
        permissions = [("update_implementation", _("更新承办落实进展"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100),
                name="implementation_percent_0_to_100",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ImplementationStatus.values),
                name="implementation_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=_ASSIGNED_STATES)
                | models.Q(lead_unit__isnull=False, due_date__isnull=False),
                name="implementation_assigned_has_lead_and_due",
            ),
            models.CheckConstraint(
                condition=models.Q(reply_public=False)
                | models.Q(reply_approved_at__isnull=False, reply_approved_by__isnull=False),
                name="implementation_public_reply_approved",
            ),
        ]
        indexes = [
            # Figures: GROUP BY lead unit, status within a campaign.
            models.Index(
                fields=["campaign", "lead_unit", "status"], name="impl_campaign_lead_status"
            ),
            # Reminders and the 逾期 filter: open work by due date.
            models.Index(fields=["status", "due_date"], name="impl_status_due"),
        ]

    def __str__(self):
        return f"{self.suggestion_id} · {self.get_status_display()}"


class ImplementationAction(models.TextChoices):
    ADOPT = "adopt", _("采纳")
    REFERENCE = "reference", _("列为参考")
    NOT_ADOPT = "not_adopt", _("暂不采纳")
    REOPEN = "reopen", _("重新研究")
    ASSIGN = "assign", _("交办")
    PROGRESS = "progress", _("进展更新")
    COMPLETE = "complete", _("报告办结")
    CONFIRM = "confirm", _("确认落实")
    SEND_BACK = "send_back", _("退回继续办理")
    REPLY = "reply", _("发布答复")


class ImplementationChange(DecisionRecord):
    """One step of an idea's implementation; written only by the implementation workflow."""

    implementation = models.ForeignKey(
        Implementation,
        on_delete=models.PROTECT,
        related_name="history",
        verbose_name=_("采纳与落实"),
    )
    action = models.CharField(_("操作"), max_length=16, choices=ImplementationAction.choices)
    from_status = models.CharField(_("原状态"), max_length=16, choices=ImplementationStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ImplementationStatus.choices)
    note = models.TextField(_("说明"), max_length=2000, blank=True)
    percent = models.PositiveSmallIntegerField(_("进度（%）"), null=True, blank=True)
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("办结期限"), null=True, blank=True)
    public = models.BooleanField(_("公开"), default=False)
    via = models.CharField(_("操作途径"), max_length=16, choices=ActionVia.choices)

    class Meta(DecisionRecord.Meta):
        verbose_name = _("落实记录")
        verbose_name_plural = _("落实记录")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True)
                | models.Q(percent__gte=0, percent__lte=100),
                name="implementation_change_percent_0_to_100",
            ),
        ]

    def __str__(self):
        return f"{self.implementation_id}: {self.from_status} → {self.to_status} ({self.action})"


class ImplementationNotice(models.Model):
    """One message to the submitter per announced change, so a task run twice sends once."""

    change = models.OneToOneField(
        ImplementationChange,
        on_delete=models.PROTECT,
        related_name="notice",
        verbose_name=_("落实记录"),
    )
    backend = models.CharField(_("通知方式"), max_length=100)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("落实通知")
        verbose_name_plural = _("落实通知")

    def __str__(self):
        return f"{self.change_id} {self.backend} {self.sent_at or '-'}"


class ImplementationReminder(models.Model):
    """催办: one reminder per lead unit per day; the unique (unit, day) makes a repeat harmless."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("日期"))
    overdue = models.PositiveIntegerField(_("逾期件数"), default=0)
    stale = models.PositiveIntegerField(_("久未更新件数"), default=0)
    receipts = models.TextField(_("回执号"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    backend = models.CharField(_("通知方式"), max_length=100, blank=True)
    error = models.CharField(_("错误"), max_length=200, blank=True)

    class Meta:
        ordering = ["-day", "unit_id"]
        verbose_name = _("催办提醒")
        verbose_name_plural = _("催办提醒")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="one_reminder_per_unit_per_day"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day}"
