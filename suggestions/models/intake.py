"""Intake's own models: partner API keys, which key sent which idea, API idempotency."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suggestions.models.core import Channel, Suggestion

KEY_PREFIX_LENGTH = 8


def channel_key_hash(raw_key: str) -> str:
    # The keys are 256-bit random tokens, so a plain SHA-256 is enough (no
    # password stretching needed) and lets every request be checked in one lookup.
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


class ChannelKeyQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class ChannelKey(models.Model):
    """An API key of one partner channel (e.g. the WeChat mini-program). Stored hashed."""

    name = models.CharField(_("名称"), max_length=60, unique=True)
    channel = models.CharField(
        _("渠道"), max_length=16, choices=Channel.choices, default=Channel.MINI_PROGRAM
    )
    # The first characters of the key, kept in clear so staff can tell keys apart.
    prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    objects = ChannelKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @staticmethod
    def new_raw_key() -> str:
        return "jck_" + secrets.token_urlsafe(32)


class ChannelSubmission(models.Model):
    """Which API key sent an idea: the API shows an idea only to the channel that sent it."""

    suggestion = models.OneToOneField(
        Suggestion, primary_key=True, on_delete=models.CASCADE, related_name="channel_submission"
    )
    channel_key = models.ForeignKey(
        ChannelKey, on_delete=models.PROTECT, related_name="submissions"
    )

    class Meta:
        verbose_name = _("接口提交记录")
        verbose_name_plural = _("接口提交记录")

    def __str__(self):
        return f"{self.channel_key_id} → {self.suggestion_id}"


class IdempotencyRecord(models.Model):
    """The first response to an Idempotency-Key, replayed for 24 hours."""

    channel_key = models.ForeignKey(ChannelKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            # Concurrent requests with one key: the second insert waits for the
            # first transaction and then fails, so only one idea is ever stored.
            models.UniqueConstraint(
                fields=["channel_key", "key"], name="unique_idempotency_key_per_channel"
            ),
        ]
        indexes = [
            # Purge of expired keys: WHERE created_at < now - 24h.
            models.Index(fields=["created_at"], name="idempotency_created"),
        ]

    def __str__(self):
        return self.key


class PaperSuggestion(Suggestion):
    """Proxy for the paper-form import page in admin (Suggestion's own admin is screening's)."""

    class Meta:
        proxy = True
        verbose_name = _("纸质意见表导入")
        verbose_name_plural = _("纸质意见表导入")
