"""Tally snapshots and generated reports; written only by suggestions.tallies.aggregation."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import Campaign
from units.models import Unit


class Dimension(models.TextChoices):
    ALL = "all", _("合计")
    CHANNEL = "channel", _("渠道")
    TOPIC = "topic", _("主题")
    IDENTITY = "identity", _("身份")


class TallyRun(models.Model):
    """One finished tally: the moment its figures describe (cutoff) and what it cost.

    run_key names the request that asked for it (the tally task's Celery id, which a
    redelivered or retried message keeps): a redo finds the stored run instead of
    adding a second one.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tally_runs")
    # Figures count every idea received and every decision taken up to this moment.
    cutoff = models.DateTimeField(_("统计截至"))
    day = models.DateField(_("统计日期"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    run_key = models.CharField(_("批次标识"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("统计批次")
        verbose_name_plural = _("统计批次")
        constraints = [
            # The redo key: a redelivered task finds the run its first delivery stored.
            models.UniqueConstraint(fields=["campaign", "run_key"], name="one_tally_run_per_key"),
        ]
        indexes = [
            # Readers: the latest run of a campaign.
            models.Index(fields=["campaign", "-cutoff"], name="tallyrun_campaign_cutoff"),
        ]

    def __str__(self):
        return f"{self.campaign_id} @ {self.cutoff:%Y-%m-%d %H:%M:%S}"


class Tally(models.Model):
    """Figures of one unit (its subtree) on one day, overall or per channel/topic/identity.

    State columns (total … set_aside) are the ideas in each state at the cutoff of the
    last run on that day; day_* columns are what happened on that day.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tallies")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="tallies")
    day = models.DateField(_("日期"))
    dimension = models.CharField(_("维度"), max_length=16, choices=Dimension.choices)
    key = models.CharField(_("分类"), max_length=32, blank=True, default="")
    total = models.PositiveIntegerField(_("征集总数"), default=0)
    collected = models.PositiveIntegerField(_("待初筛"), default=0)
    shortlisted = models.PositiveIntegerField(_("初选入围"), default=0)
    excellent = models.PositiveIntegerField(_("优秀金点子"), default=0)
    set_aside = models.PositiveIntegerField(_("未入选"), default=0)
    # Distinct near-duplicate groups (dimension "all" only).
    groups = models.PositiveIntegerField(_("去重后条数"), null=True, blank=True)
    day_received = models.PositiveIntegerField(_("当日收到"), default=0)
    day_shortlisted = models.PositiveIntegerField(_("当日入围"), default=0)
    day_excellent = models.PositiveIntegerField(_("当日评为优秀"), default=0)
    day_set_aside = models.PositiveIntegerField(_("当日未入选"), default=0)
    computed_at = models.DateTimeField(_("统计截至"))

    class Meta:
        verbose_name = _("统计快照")
        verbose_name_plural = _("统计快照")
        constraints = [
            # The upsert key: a re-run or a concurrent run rewrites the same row.
            models.UniqueConstraint(
                fields=["campaign", "unit", "day", "dimension", "key"], name="one_tally_per_key"
            ),
        ]
        indexes = [
            # Dashboard: every unit's figures of one day.
            models.Index(fields=["campaign", "day", "dimension"], name="tally_campaign_day_dim"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day} {self.dimension}:{self.key}"


class ReportScope(models.TextChoices):
    UNIT = "unit", _("单位报告")
    CITY = "city", _("全市报告")


class Report(models.Model):
    """A generated summary report (HTML and .xlsx), kept with its generation time.

    run_key names the request that asked for it (a Celery task's id, which a
    redelivered or retried message keeps): a redo finds the stored report instead
    of adding a second one.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="summary_reports")
    scope = models.CharField(_("范围"), max_length=8, choices=ReportScope.choices)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    as_of = models.DateTimeField(_("数据截至"))
    html = models.TextField(_("网页内容"))
    xlsx = models.BinaryField(_("Excel 文件"))
    run_key = models.CharField(_("生成批次标识"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("统计报告")
        verbose_name_plural = _("统计报告")
        constraints = [
            # The redo key: a redelivered task finds the report its first delivery stored.
            models.UniqueConstraint(
                fields=["campaign", "unit", "run_key"], name="one_report_per_run_key"
            ),
        ]
        indexes = [
            # Download: the newest report of a unit.
            models.Index(
                fields=["campaign", "unit", "-generated_at"], name="report_campaign_unit_gen"
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.generated_at:%Y-%m-%d %H:%M}"
