from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import Campaign, Suggestion
from units.models import Unit

_SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Score(models.Model):
    """A city reviewer's stage-2 marks for one shortlisted idea (1–5 on five criteria)."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    feasibility = models.PositiveSmallIntegerField(_("可行性"), validators=_SCORE)
    innovation = models.PositiveSmallIntegerField(_("创新性"), validators=_SCORE)
    benefit = models.PositiveSmallIntegerField(_("效益"), validators=_SCORE)
    cost = models.PositiveSmallIntegerField(_("成本"), validators=_SCORE)
    replicability = models.PositiveSmallIntegerField(_("可推广性"), validators=_SCORE)
    scored_at = models.DateTimeField(_("评分时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "reviewer"], name="one_score_per_reviewer"
            ),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"score_{name}_1_to_5",
                )
                for name in ("feasibility", "innovation", "benefit", "cost", "replicability")
            ],
        ]

    def __str__(self):
        return f"{self.suggestion_id} · {self.reviewer_id}: {self.mean:.1f}"

    @property
    def mean(self) -> float:
        marks = (self.feasibility, self.innovation, self.benefit, self.cost, self.replicability)
        return sum(marks) / len(marks)


class UnitReportQuerySet(models.QuerySet):
    def reported(self):
        """Reports in force: reported, and not reopened since. The workflow clears
        reported_at when it reopens; the reopened_at condition also holds for rows
        written any other way (imports, the simulator, a manual fix)."""
        return self.filter(reported_at__isnull=False).filter(
            models.Q(reopened_at__isnull=True) | models.Q(reopened_at__lt=models.F("reported_at"))
        )


class UnitReport(models.Model):
    """报送: a unit declares its stage-1 screening done for a campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="unit_reports")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reports")
    reported_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = UnitReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位报送")
        verbose_name_plural = _("单位报送")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="one_report_per_unit"),
        ]

    def __str__(self):
        return f"{self.unit} · {self.campaign}"

    @property
    def is_reported(self) -> bool:
        return self.reported_at is not None


class PersonalDataAccess(models.Model):
    """Who saw or exported citizens' personal data, and when. Append-only."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("查看联系方式")
        EXPORT = "export", _("导出含联系方式")
        ERASE = "erase", _("删除个人信息")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("用户")
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    suggestion = models.ForeignKey(
        Suggestion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("金点子"),
    )
    detail = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")

    def __str__(self):
        return f"{self.user_id} {self.action} {self.suggestion_id or ''} @ {self.at:%Y-%m-%d %H:%M}"
