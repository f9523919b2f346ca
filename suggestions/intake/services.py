"""Intake services: the one way an idea enters the portal (web form, API, paper import).

Guarantees, whatever the channel:
- every field is validated by suggestions.intake.validation before anything is written;
- receipt numbers come from Campaign.last_sequence, reserved in blocks per
  process (see _sequence_next), so they are unique and never handed out twice;
  the campaign is re-checked in the database with every idea, so a closed
  campaign accepts nothing;
- the same phone with the same (normalised) content within INTAKE_DUPLICATE_WINDOW
  is one submission: the caller gets the first receipt and one row is stored.
  Concurrency: the re-check-then-insert runs under a per-fingerprint transaction
  lock (pg_advisory_xact_lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already
  serialises writers), so 50 identical concurrent POSTs store one row while
  different ideas never wait for each other. A lock rather than a unique
  constraint on (fingerprint, time bucket) because a bucket boundary would let
  two requests a second apart through;
- follow-up work is queued with transaction.on_commit and a broker failure never
  fails or slows the request (see suggestion_received_queue).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jincheng_portal.metrics import submissions_counted
from suggestions.common.broker import task_publish
from suggestions.intake.validation import (
    content_clean,
    name_clean,
    phone_normalise,
    submission_fingerprint,
    title_clean,
)
from suggestions.models import (
    Campaign,
    Channel,
    ChannelKey,
    ChannelSubmission,
    IdentityType,
    Suggestion,
    Topic,
)
from units.models import Unit, UnitKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model

logger = logging.getLogger(__name__)


class CampaignClosed(Exception):
    """The campaign is not accepting ideas (closed, not yet open or inactive)."""


@dataclass(frozen=True)
class SubmitResult:
    suggestion: Suggestion
    created: bool  # False: a repeat of an idea already stored; this is its first receipt


# Per process, a few seconds: every intake page and API call needs the current
# campaign; a campaign closed in admin stops taking numbers at once anyway,
# because _lock_and_recheck re-checks it in the database.
CAMPAIGN_CACHE_SECONDS = 5
_campaign_cache: tuple[float, Campaign | None] = (0.0, None)


def campaign_current() -> Campaign | None:
    global _campaign_cache
    now = time.monotonic()
    if _campaign_cache[0] > now:
        return _campaign_cache[1]
    campaign = Campaign.objects.current()
    _campaign_cache = (now + CAMPAIGN_CACHE_SECONDS, campaign)
    return campaign


def campaign_cache_clear() -> None:
    """Forget this process's cached campaign, choices and reserved receipt numbers
    (tests that rebuild the database call it)."""
    global _campaign_cache
    _campaign_cache = (0.0, None)
    choices_cache_clear()
    with _blocks_lock:
        _blocks.clear()


# Topics and units a citizen may pick, per process for INTAKE_CHOICES_CACHE_SECONDS (a
# minute): looked up on every submission, edited rarely (a unit retired in admin is
# refused by every node within that time).
_choices_cache: dict[str, tuple[float, dict]] = {}


def _choices(name: str, load: Callable[[], Iterable[Model]]) -> dict:
    now = time.monotonic()
    hit = _choices_cache.get(name)
    if hit and hit[0] > now:
        return hit[1]
    objects = {obj.pk: obj for obj in load()}
    _choices_cache[name] = (now + settings.INTAKE_CHOICES_CACHE_SECONDS, objects)
    return objects


def topics_selectable() -> dict[int, Topic]:
    return _choices("topics", lambda: Topic.objects.filter(is_active=True))


def units_selectable() -> dict[int, Unit]:
    return _choices("units", lambda: Unit.objects.active().exclude(kind=UnitKind.CITY))


def choices_cache_clear() -> None:
    _choices_cache.clear()


def receipt_format(*, prefix: str, sequence: int) -> str:
    return f"{prefix}-{sequence:06d}"


def _fields_clean(
    *,
    title: str,
    content: str,
    topic: Topic | None,
    unit: Unit | None,
    identity_type: str,
    name: str,
    phone: str,
    channel: str,
) -> dict[str, object]:
    """Validate every field; raise one ValidationError mapping field -> messages."""
    errors: dict[str, list] = {}
    cleaned: dict[str, object] = {}
    for field, cleaner, value in (
        ("title", title_clean, title),
        ("content", content_clean, content),
        ("name", name_clean, name),
        ("phone", phone_normalise, phone),
    ):
        try:
            cleaned[field] = cleaner(value)
        except ValidationError as exc:
            errors[field] = exc.error_list
    if "phone" in cleaned and not cleaned["phone"] and settings.INTAKE_PHONE_REQUIRED:
        errors["phone"] = [ValidationError(_("请填写手机号码，便于单位联系您。"), code="required")]
    if not isinstance(topic, Topic) or not topic.is_active:
        errors["topic"] = [ValidationError(_("请选择有效的主题。"), code="invalid")]
    if not isinstance(unit, Unit) or not unit.is_active:
        errors["unit"] = [ValidationError(_("请选择有效的建议单位。"), code="invalid")]
    if identity_type not in IdentityType.values:
        errors["identity_type"] = [ValidationError(_("请选择有效的身份。"), code="invalid")]
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}")  # a programming error, not user input
    if errors:
        raise ValidationError(errors)
    return cleaned


# The campaign is open: active, and now within its dates.
_OPEN = "id = %s AND is_active AND opens_at <= %s AND closes_at > %s"


@functools.cache
def _lock_and_recheck_sql_postgres() -> str:
    # Written out once rather than compiled by the ORM per submission (a tenth of its CPU).
    ideas = connection.ops.quote_name(Suggestion._meta.db_table)
    campaigns = connection.ops.quote_name(Campaign._meta.db_table)
    # Table names come from model meta, values travel as parameters.
    repeat = "fingerprint = %s AND received_at >= %s"
    first = f"SELECT id FROM {ideas} WHERE {repeat} ORDER BY id LIMIT 1"  # noqa: S608
    is_open = f"SELECT 1 FROM {campaigns} WHERE {_OPEN}"  # noqa: S608
    return f"SELECT pg_advisory_xact_lock(%s); SELECT ({first}), EXISTS ({is_open})"


def _lock_and_recheck(*, campaign: Campaign, fingerprint: str, now: datetime) -> Suggestion | None:
    """Take the per-fingerprint lock, check the campaign is still open, then find an
    identical idea of the last window. Raises CampaignClosed.

    Must run inside a transaction: the lock is held until it ends.
    """
    window_start = now - timedelta(seconds=settings.INTAKE_DUPLICATE_WINDOW_SECONDS)
    if connection.vendor != "postgresql":
        # SQLite: the project opens transactions with BEGIN IMMEDIATE, which
        # takes the database's write lock up front; writers are already serialised.
        open_now = Q(is_active=True, opens_at__lte=now, closes_at__gt=now)
        if not Campaign.objects.filter(open_now, pk=campaign.pk).exists():
            raise CampaignClosed
        return (
            Suggestion.objects.filter(fingerprint=fingerprint, received_at__gte=window_start)
            .order_by("id")
            .first()
        )
    # Signed 64-bit key from the hash. Two statements, one round trip: the
    # SELECT takes its snapshot after the lock is granted, so it sees the row
    # of whoever held the lock before us.
    key = int(fingerprint[:16], 16) - (1 << 63)
    with connection.cursor() as cursor:
        cursor.execute(
            _lock_and_recheck_sql_postgres(),
            [key, fingerprint, window_start, campaign.pk, now, now],
        )
        first_id, is_open = cursor.fetchone()
    if not is_open:
        raise CampaignClosed
    return Suggestion.objects.get(pk=first_id) if first_id else None


def _numbers_reserve(*, campaign: Campaign, now: datetime, count: int) -> range:
    """Move the campaign's last_sequence on by count if (and only if) it is open."""
    table = connection.ops.quote_name(Campaign._meta.db_table)
    bump = f"UPDATE {table} SET last_sequence = last_sequence + %s WHERE {_OPEN}"  # noqa: S608 (table from model meta)
    if connection.vendor == "postgresql" and connection.get_autocommit():
        # One statement, one round trip, its own implicit transaction;
        # set_config(…, true) is SET LOCAL for just this statement's commit.
        # Durable enough: the idea's own (synchronous) commit comes later in
        # the same WAL and flushes this one too.
        relaxed = "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))"
        sql = f"{relaxed} {bump} AND EXISTS (SELECT 1 FROM relaxed) RETURNING last_sequence"  # noqa: S608
    else:
        sql = f"{bump} RETURNING last_sequence"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, campaign.pk, now, now])
        row = cursor.fetchone()
    if row is None:
        raise CampaignClosed
    return range(row[0] - count + 1, row[0] + 1)


# Numbers this process has reserved and not handed out yet: campaign id -> [next, stop).
_blocks: dict[int, list[int]] = {}
_blocks_lock = threading.Lock()


def _sequence_next(*, campaign: Campaign, now: datetime) -> int:
    """The campaign's next receipt number: unique and never reused, not gapless.

    Outside a transaction (web form, API) a process reserves INTAKE_RECEIPT_BLOCK
    numbers with one UPDATE and hands them out itself, so submissions do not queue
    on the campaign row one by one. Numbers are therefore not in strict arrival
    order across processes, and the rest of a block is skipped when a process
    stops, like a number taken by an idea that turned out to be a repeat.

    Inside a caller's transaction (paper import) the number is reserved in that
    transaction, so a rollback hands nothing out.
    """
    if not connection.get_autocommit():
        return _numbers_reserve(campaign=campaign, now=now, count=1).start
    with _blocks_lock:
        block = _blocks.get(campaign.pk)
        if block is None or block[0] >= block[1]:
            numbers = _numbers_reserve(
                campaign=campaign, now=now, count=settings.INTAKE_RECEIPT_BLOCK
            )
            block = _blocks[campaign.pk] = [numbers.start, numbers.stop]
        block[0] += 1
        return block[0] - 1


@submissions_counted(closed=CampaignClosed)  # Prometheus counter by channel and outcome
def suggestion_submit(
    *,
    campaign: Campaign,
    title: str,
    content: str,
    topic: Topic | None,
    unit: Unit | None,
    identity_type: str,
    name: str,
    phone: str,
    publish_consent: bool,
    channel: str,
    channel_key: ChannelKey | None = None,
    submitted_by: AbstractBaseUser | None = None,
) -> SubmitResult:
    """Store one idea (or find the identical one just stored) and queue its follow-up.

    Raises ValidationError (a field -> messages dict) or CampaignClosed; stores nothing then.
    """
    cleaned = _fields_clean(
        title=title,
        content=content,
        topic=topic,
        unit=unit,
        identity_type=identity_type,
        name=name,
        phone=phone,
        channel=channel,
    )
    now = timezone.now()
    if not campaign.is_open(now):
        raise CampaignClosed
    fingerprint = submission_fingerprint(
        campaign_id=campaign.pk, phone=cleaned["phone"], content=cleaned["content"]
    )
    sequence = _sequence_next(campaign=campaign, now=now)
    with transaction.atomic():
        # Identical requests queue here, one fingerprint at a time (different
        # ideas never wait for each other); the first inserts, the others find
        # its row. Lock and both checks travel in one round trip on PostgreSQL.
        first = _lock_and_recheck(campaign=campaign, fingerprint=fingerprint, now=now)
        if first is not None:
            return SubmitResult(suggestion=first, created=False)  # its number is skipped
        suggestion = Suggestion.objects.create(
            campaign=campaign,
            sequence=sequence,
            receipt=receipt_format(prefix=campaign.receipt_prefix, sequence=sequence),
            channel=channel,
            unit=unit,
            topic=topic,
            identity_type=identity_type,
            title=cleaned["title"],
            content=cleaned["content"],
            name=cleaned["name"],
            phone=cleaned["phone"],
            publish_consent=bool(publish_consent),
            fingerprint=fingerprint,
            submitted_by=submitted_by,
            received_at=now,
        )
        if channel_key is not None:
            ChannelSubmission.objects.create(suggestion=suggestion, channel_key=channel_key)
        suggestion_id = suggestion.pk
        transaction.on_commit(lambda: suggestion_received_queue(suggestion_id=suggestion_id))
    return SubmitResult(suggestion=suggestion, created=True)


# --- follow-up queueing -------------------------------------------------------

SUGGESTION_RECEIVED_TASK = "suggestions.tasks.suggestion_received"


def suggestion_received_queue(*, suggestion_id: int) -> bool:
    """Queue the follow-up of a new idea (near-duplicate check); never raises.

    An idea that could not be queued is not lost: it is committed, and the
    catch-up task (suggestions.tasks.suggestions_received_catch_up) finds it later.
    """
    return task_publish(
        SUGGESTION_RECEIVED_TASK,
        args=[suggestion_id],
        what=f"follow-up of suggestion {suggestion_id}",
    )
