from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from units.models import Unit


class CampaignPhase(models.TextChoices):
    MOBILISATION = "mobilisation", _("宣传发动")
    IMPLEMENTATION = "implementation", _("组织实施")
    SUMMARY = "summary", _("总结交流")


class CampaignQuerySet(models.QuerySet):
    def current(self):
        """The campaign the public pages serve: the newest active one."""
        return self.filter(is_active=True).order_by("-opens_at").first()


class Campaign(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    slug = models.SlugField(_("标识"), unique=True)
    receipt_prefix = models.CharField(
        _("回执号前缀"), max_length=12, unique=True, help_text=_("例如 JC2021")
    )
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    phase = models.CharField(
        _("阶段"), max_length=16, choices=CampaignPhase.choices, default=CampaignPhase.MOBILISATION
    )
    is_active = models.BooleanField(_("启用"), default=True)
    results_published = models.BooleanField(
        _("公开评选结果"), default=False, help_text=_("勾选后优秀金点子在公开展示页显示")
    )
    # Last receipt sequence handed out; bumped with a conditional UPDATE so
    # numbers are unique and never reused, even after a rolled-back insert.
    last_sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("征集活动")
        verbose_name_plural = _("征集活动")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="campaign_closes_after_opening",
            ),
        ]

    def __str__(self):
        return self.name

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.is_active and self.opens_at <= at < self.closes_at


class Topic(models.Model):
    """Topics are a list administrators edit, not code."""

    name = models.CharField(_("名称"), max_length=30, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("主题")
        verbose_name_plural = _("主题")

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    COLLECTED = "collected", _("已收集")
    SHORTLISTED = "shortlisted", _("初选入围")
    EXCELLENT = "excellent", _("优秀金点子")
    SET_ASIDE = "set_aside", _("未入选")


class Channel(models.TextChoices):
    WEB = "web", _("网页")
    MINI_PROGRAM = "mini_program", _("小程序")
    PAPER = "paper", _("纸质意见表")
    STAFF_ENTRY = "staff_entry", _("工作人员录入")


class IdentityType(models.TextChoices):
    PUBLIC = "public", _("群众")
    OFFICIAL = "official", _("机关干部")
    EXPERT = "expert", _("专家学者")
    ENTREPRENEUR = "entrepreneur", _("企业家")
    TALENT_ABROAD = "talent_abroad", _("在外人才")
    STUDENT = "student", _("学生")
    OTHER = "other", _("其他")


def representative_q() -> models.Q:
    """Ideas that stand for their duplicate group: a group's representative, a lone idea,
    or an idea not yet checked (never hidden). The one definition every reader uses."""
    return models.Q(duplicate_of__isnull=True) | models.Q(duplicate_of=models.F("pk"))


def repeat_q() -> models.Q:
    """Ideas filed under another idea's group (the complement of representative_q)."""
    return models.Q(duplicate_of__isnull=False) & ~models.Q(duplicate_of=models.F("pk"))


class SuggestionQuerySet(models.QuerySet):
    def representatives(self):
        return self.filter(representative_q())

    def repeats(self):
        return self.filter(repeat_q())

    def in_campaign(self, campaign):
        return self.filter(campaign=campaign)

    def awaiting_screening(self):
        return self.filter(status=Status.COLLECTED)

    def awaiting_review(self):
        return self.filter(status=Status.SHORTLISTED)

    def excellent(self):
        return self.filter(status=Status.EXCELLENT)

    def within_units(self, units):
        return self.filter(unit__in=units)


class Suggestion(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("征集活动"), on_delete=models.PROTECT, related_name="suggestions"
    )
    receipt = models.CharField(_("回执号"), max_length=24, unique=True, editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.COLLECTED, editable=False
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("建议单位"), on_delete=models.PROTECT, related_name="suggestions"
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("主题"), on_delete=models.PROTECT, related_name="suggestions"
    )
    identity_type = models.CharField(_("身份"), max_length=16, choices=IdentityType.choices)
    title = models.CharField(_("标题"), max_length=60)
    content = models.TextField(_("内容"), max_length=2000)
    # Contact data: personal, masked for staff without view_contact and
    # anonymised after the retention period.
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    publish_consent = models.BooleanField(_("同意公开展示"), default=False)
    public_note = models.CharField(_("公开说明"), max_length=200, blank=True)
    # Same phone + same content within a short window is one submission.
    fingerprint = models.CharField(max_length=64, editable=False, db_index=True)
    # Near-duplicate grouping: the representative of this idea's group (itself
    # for a representative or a lone idea; null until the check has run).
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("重复组代表"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    duplicate_similarity = models.FloatField(_("相似度"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("纸质意见表导入或工作人员录入时记录"),
    )
    status_changed_at = models.DateTimeField(
        _("状态变更时间"), null=True, blank=True, editable=False
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Stage-2 marks, kept on the row so the desk can sort on them without a join.
    score_mean = models.FloatField(_("平均分"), null=True, blank=True, editable=False)
    score_count = models.PositiveSmallIntegerField(_("评分人数"), default=0, editable=False)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("收到时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("金点子")
        verbose_name_plural = _("金点子")
        permissions = [
            ("screen_stage1", _("初筛本单位金点子")),
            ("screen_stage2", _("市级评审")),
            ("view_contact", _("查看提交人联系方式")),
            ("view_dashboard", _("查看统计看板")),
            ("reopen_report", _("退回单位报送")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "sequence"], name="unique_sequence_per_campaign"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="suggestion_status_valid"
            ),
        ]
        indexes = [
            # Tallies: GROUP BY unit, status within a campaign (index-only scan).
            models.Index(fields=["campaign", "unit", "status"], name="sugg_campaign_unit_status"),
            # Screening desk: a unit's queue in a state, newest first.
            models.Index(
                fields=["unit", "status", "-received_at"], name="sugg_unit_status_received"
            ),
            # Per-day counts over a campaign.
            models.Index(fields=["campaign", "received_at"], name="sugg_campaign_received"),
            # Screening desk, newest first: the ids of page N come from an index-only
            # scan that also filters on unit and status (see suggestions/common/paging.py).
            models.Index(
                fields=["-received_at", "-id"],
                include=["unit", "status"],
                name="sugg_desk_newest",
            ),
            # Screening desk sorted by mean score, best first (unscored count as 0).
            models.Index(
                Coalesce("score_mean", models.Value(0.0)).desc(),
                models.F("id").desc(),
                name="sugg_desk_score",
            ),
            # 大家干 figures (tallies.aggregation.implementation_figures): the excellent
            # ideas of a campaign by unit, a few per cent of all ideas, as an index-only
            # scan of this small partial index instead of a skip over the whole campaign.
            models.Index(
                fields=["campaign", "unit"],
                include=["id"],
                condition=models.Q(status="excellent"),
                name="sugg_excellent_unit",
            ),
        ]

    def __str__(self):
        return f"{self.receipt} {self.title}"


class ActionVia(models.TextChoices):
    ADMIN = "admin", _("后台页面")
    BULK = "bulk", _("批量操作")
    IMPORT = "import", _("导入")
    API = "api", _("接口")
    SYSTEM = "system", _("系统")
    TRIAGE = "triage", _("逐条筛选")
    # A decision taken back by its own author within seconds (workflow.suggestion_undo).
    UNDO = "undo", _("撤销")


class AppendOnlyQuerySet(models.QuerySet):
    # Records of decisions are evidence: the ORM's bulk paths refuse to rewrite them.
    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted through the ORM."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only.")


class DecisionRecord(AppendOnlyModel):
    """A staff decision kept as evidence: who took it and when (subclasses say what)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class StatusChange(DecisionRecord):
    """One workflow decision; written only by suggestions.screening.workflow."""

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.PROTECT, related_name="history", verbose_name=_("金点子")
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices)
    reason = models.TextField(_("理由/备注"), blank=True)
    via = models.CharField(_("操作途径"), max_length=16, choices=ActionVia.choices)

    class Meta(DecisionRecord.Meta):
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")
        indexes = [
            # Tallies: transitions per day within a campaign.
            models.Index(fields=["at", "to_status"], name="history_at_to_status"),
        ]

    def __str__(self):
        return f"{self.suggestion_id}: {self.from_status or '∅'} → {self.to_status}"
