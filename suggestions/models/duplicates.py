"""Storage for near-duplicate grouping: the LSH index and the screeners' group decisions.

The grouping itself lives on Suggestion (duplicate_of, duplicate_similarity); these
tables let a new idea find its earlier look-alikes with two indexed look-ups, and keep
the history of what screeners changed. Written only by suggestions.duplicates.services.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import Campaign, DecisionRecord, Suggestion


class IndexKeysField(models.Field):
    """An idea's LSH band and sentence keys, sorted: bigint[] on PostgreSQL (with a GIN
    index, see migration 0016), comma-separated text elsewhere (SQLite looks keys up in
    DuplicateBand instead)."""

    description = "a sorted list of 64-bit index keys"

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        keys = [int(key) for key in value]
        return keys if connection.vendor == "postgresql" else ",".join(map(str, keys))

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        return [int(key) for key in value.split(",") if key]

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        return [int(key) for key in str(value).split(",") if key]


class DuplicateSignature(models.Model):
    """One checked idea's exact-repeat key (hash of its normalised text) and signature."""

    suggestion = models.OneToOneField(
        Suggestion, primary_key=True, on_delete=models.CASCADE, related_name="duplicate_signature"
    )
    # No database constraint on this derived index: checking it per row at COMMIT made a
    # rebuild's commit take longer than the rebuild. Django still cascades deletes.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    exact_key = models.BigIntegerField()
    # MinHash signature (num_perm little-endian uint32): candidates from the bands are
    # compared exactly only when enough values agree.
    minhash = models.BinaryField()
    # How many distinctive 2-grams the signature was made from: with the other idea's, it
    # sets how many values must agree (suggestions.duplicates.algorithm.min_equal). NULL
    # in entries written before it was kept: those ask for the least agreement.
    distinct_grams = models.PositiveIntegerField(null=True, blank=True)
    # The idea's index keys (LSH bands, then sentence keys), one row per idea: on
    # PostgreSQL, candidates are found with keys && ARRAY[...] through a GIN index, which
    # takes a fraction of the space of one row per key (docs/duplicates.md, "Storage").
    keys = IndexKeysField(default=list, blank=True)
    # The idea's sentence vector for the semantic stage (512 int8, see
    # suggestions/duplicates/semantic.py), written when the idea is checked. NULL for
    # ideas never encoded (imported in bulk, or the stage switched off): they take no
    # part in the semantic stage. A rebuild keeps it.
    vector = models.BinaryField(null=True, blank=True)
    # Whether the idea joined its group through the semantic stage (sentence vectors)
    # rather than shared text: the desk's "why" panel says so.
    semantic_match = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Exact repeats: the earliest earlier idea of the campaign with the same key.
            models.Index(
                fields=["campaign", "exact_key", "suggestion"], name="dupsig_campaign_key"
            ),
            # The semantic stage: ids of the campaign's stored vectors (index-only scan).
            models.Index(
                fields=["campaign", "suggestion"],
                name="dupsig_vectors",
                condition=models.Q(vector__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.suggestion_id}: {self.exact_key}"


class DuplicateBand(models.Model):
    """One index key of a checked idea, one row per key: the look-up table on databases
    other than PostgreSQL (SQLite). Empty on PostgreSQL, which uses DuplicateSignature.keys."""

    id = models.BigAutoField(primary_key=True)
    # Derived data: no database constraints (per-row checks at COMMIT of a rebuild's
    # millions of rows were slow); Django still cascades deletes, a rebuild clears orphans.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # Indexed for the cascade when an idea is deleted and for re-indexing one idea.
    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    key = models.BigIntegerField()

    class Meta:
        indexes = [
            # Candidates: WHERE campaign = ? AND key IN (…bands…) AND suggestion < ?
            # (index-only scan).
            models.Index(fields=["campaign", "key", "suggestion"], name="dupband_campaign_key"),
        ]

    def __str__(self):
        return f"{self.suggestion_id}: {self.key}"


class DuplicateAction(models.TextChoices):
    CONFIRM = "confirm", _("确认重复")
    SPLIT = "split", _("拆分出组")
    MERGE = "merge", _("并入重复组")
    REPRESENT = "represent", _("设为代表")


class DuplicateDecision(DecisionRecord):
    """A screener's decision about an idea's duplicate group: who, when, what."""

    suggestion = models.ForeignKey(
        Suggestion,
        verbose_name=_("金点子"),
        on_delete=models.PROTECT,
        related_name="duplicate_decisions",
    )
    action = models.CharField(_("操作"), max_length=16, choices=DuplicateAction.choices)
    # The group representative before and after the decision.
    from_representative = models.ForeignKey(
        Suggestion,
        verbose_name=_("原重复组代表"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_representative = models.ForeignKey(
        Suggestion,
        verbose_name=_("新重复组代表"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)

    class Meta(DecisionRecord.Meta):
        verbose_name = _("重复组处理记录")
        verbose_name_plural = _("重复组处理记录")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=DuplicateAction.values),
                name="duplicate_decision_action_valid",
            ),
        ]

    def __str__(self):
        return f"{self.suggestion_id}: {self.action}"


class MergeProposalStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    ACCEPTED = "accepted", _("已合并")
    REJECTED = "rejected", _("不合并")


class DuplicateMergeProposal(models.Model):
    """A later idea resembles two groups: a proposal to bring them together.

    The check never merges groups on its own (a link through one idea can join ideas that
    are not alike); the idea joins its best group and the other group is proposed here,
    for a screener to accept or reject on the desk. Written by the duplicate services.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    # The idea that resembles both groups.
    via = models.ForeignKey(
        Suggestion, verbose_name=_("关联金点子"), on_delete=models.CASCADE, related_name="+"
    )
    # The representatives when the proposal was made (the groups it would bring together).
    first = models.ForeignKey(
        Suggestion, verbose_name=_("重复组一"), on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        Suggestion, verbose_name=_("重复组二"), on_delete=models.CASCADE, related_name="+"
    )
    similarity = models.FloatField(_("相似度"))
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=MergeProposalStatus.choices,
        default=MergeProposalStatus.PENDING,
    )
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("重复组合并建议")
        verbose_name_plural = _("重复组合并建议")
        constraints = [
            # One proposal per idea and other group: a re-run of the check adds nothing.
            models.UniqueConstraint(fields=["via", "second"], name="dupmerge_via_second"),
            models.CheckConstraint(
                condition=models.Q(status__in=MergeProposalStatus.values),
                name="dupmerge_status_valid",
            ),
        ]
        indexes = [
            # The desk's list: WHERE campaign = ? AND status = 'pending' ORDER BY id.
            models.Index(fields=["campaign", "status", "id"], name="dupmerge_pending"),
        ]

    def __str__(self):
        return f"{self.first_id} + {self.second_id} ({self.status})"


class BoilerplateKind(models.TextChoices):
    SENTENCE = "sentence", _("模板句")
    BIGRAM = "bigram", _("常见字组")


class DuplicateBoilerplate(models.Model):
    """What many of a campaign's ideas share, learned by suggestions.duplicates.boilerplate
    (which replaces a campaign's rows as a whole) and read by
    suggestions.duplicates.services.duplicate_config:

    * a sentence (a form's printed line, a template's fixed line, a pasted standard
      opening): taken out of every idea before the near-duplicate comparison;
    * a 2-gram (a template's phrase, the campaign's own vocabulary): weighs as a common
      campaign word, COMMON_WEIGHT, and is left out of the MinHash.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(
        _("类型"), max_length=8, choices=BoilerplateKind.choices, default=BoilerplateKind.SENTENCE
    )
    # A sentence's exact_key(), or a 2-gram's code: unique per campaign without indexing
    # long text.
    key = models.BigIntegerField()
    sentence = models.TextField(_("句子（规范化后）"))
    holders = models.PositiveIntegerField(_("含此句的金点子数"))
    learned_at = models.DateTimeField(_("学习时间"), default=timezone.now)

    class Meta:
        verbose_name = _("重复检测模板句")
        verbose_name_plural = _("重复检测模板句")
        constraints = [
            # Also serves duplicate_config's per-check query (WHERE campaign = ?).
            models.UniqueConstraint(
                fields=["campaign", "kind", "key"], name="dupboiler_campaign_key"
            ),
        ]

    def __str__(self):
        return self.sentence
