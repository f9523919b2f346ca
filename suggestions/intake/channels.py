"""The API's channels: keys for the mini-program and partners, and Idempotency-Key replay."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from suggestions.models import Channel, ChannelKey, IdempotencyRecord
from suggestions.models.intake import KEY_PREFIX_LENGTH, channel_key_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AbstractBaseUser

# --- channel keys ---------------------------------------------------------------


def channel_key_create(
    *,
    name: str,
    channel: str = Channel.MINI_PROGRAM,
    created_by: AbstractBaseUser | None = None,
) -> tuple[ChannelKey, str]:
    """Create a key; returns (ChannelKey, raw key). The raw key is shown once and never stored."""
    raw = ChannelKey.new_raw_key()
    key = ChannelKey.objects.create(
        name=name,
        channel=channel,
        prefix=raw[:KEY_PREFIX_LENGTH],
        key_hash=channel_key_hash(raw),
        created_by=created_by,
    )
    return key, raw


def channel_key_revoke(*, channel_key: ChannelKey) -> None:
    ChannelKey.objects.filter(pk=channel_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def channel_key_authenticate(*, raw_key: str) -> ChannelKey | None:
    if not raw_key or len(raw_key) > 200:
        return None
    key = ChannelKey.objects.usable().filter(key_hash=channel_key_hash(raw_key)).first()
    now = timezone.now()
    if key is not None and (
        key.last_used_at is None or key.last_used_at < now - timedelta(minutes=1)
    ):
        # At most about one write a minute per key, not one per request.
        ChannelKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


# --- API idempotency --------------------------------------------------------------


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


def request_hash(payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotent_call(
    *,
    channel_key: ChannelKey,
    key: str,
    payload: object,
    produce: Callable[[], tuple[int, dict]],
) -> tuple[int, dict]:
    """Run produce() -> (status, body) once per (channel key, Idempotency-Key) for 24 h.

    The record and the work it stands for commit together: a concurrent request
    with the same key waits on the unique index, then replays the stored response.
    """
    digest = request_hash(payload)
    expires_before = timezone.now() - timedelta(seconds=settings.INTAKE_IDEMPOTENCY_SECONDS)
    with transaction.atomic():
        IdempotencyRecord.objects.filter(
            channel_key=channel_key, key=key, created_at__lt=expires_before
        ).delete()
        record, created = IdempotencyRecord.objects.get_or_create(
            channel_key=channel_key,
            key=key,
            defaults={"request_hash": digest, "response_status": 0, "response_body": {}},
        )
        if not created:
            if record.request_hash != digest:
                raise IdempotencyConflict
            return record.response_status, record.response_body
        status, body = produce()
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
    return status, body


def idempotency_records_purge() -> int:
    expires_before = timezone.now() - timedelta(seconds=settings.INTAKE_IDEMPOTENCY_SECONDS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=expires_before).delete()
    return deleted
