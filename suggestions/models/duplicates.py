"""Storage for near-duplicate grouping: the LSH index and the screeners' group decisions.

The grouping itself lives on Suggestion (duplicate_of, duplicate_similarity); these
tables let a new idea find its earlier look-alikes with two indexed look-ups, and keep
the history of what screeners changed. Written only by suggestions.duplicates.services.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import Campaign, DecisionRecord, Suggestion


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

    class Meta:
        indexes = [
            # Exact repeats: the earliest earlier idea of the campaign with the same key.
            models.Index(
                fields=["campaign", "exact_key", "suggestion"], name="dupsig_campaign_key"
            ),
        ]

    def __str__(self):
        return f"{self.suggestion_id}: {self.exact_key}"


class DuplicateBand(models.Model):
    """One LSH band key of a checked idea; ideas sharing a key are compared exactly."""

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
