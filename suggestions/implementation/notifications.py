"""Notices of the implementation workflow: to submitters (through the portal's notifier)
and 催办 reminders to lead units. Every send is recorded first, so a task delivered
twice sends once."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from suggestions.common.notifier import notice_deliver, notifier_get
from suggestions.common.time import local_date
from suggestions.models import (
    ADOPTED_STATES,
    Implementation,
    ImplementationAction,
    ImplementationChange,
    ImplementationNotice,
    ImplementationReminder,
    ImplementationStatus,
)
from units.models import Unit

logger = logging.getLogger(__name__)

Act = ImplementationAction


# --------------------------------------------------------------------------- submitters


def implementation_message(*, change: ImplementationChange) -> str:
    """The text the submitter receives (Chinese whatever the staff member's language)."""
    receipt = change.implementation.suggestion.receipt
    with translation.override("zh-hans"):
        if change.action == Act.ADOPT:
            text = _(
                "您提交的金点子（回执号 %(receipt)s）已被采纳，将交有关单位落实。感谢您的参与！"
            )
        elif change.action == Act.CONFIRM:
            text = _(
                "您提交的金点子（回执号 %(receipt)s）已落实，可在“查询建议进度”中查看落实情况。"
                "感谢您的参与！"
            )
        else:
            text = _("您提交的金点子（回执号 %(receipt)s）已有正式答复，请在“查询建议进度”中查看。")
        return text % {"receipt": receipt}


def _still_true(change: ImplementationChange) -> bool:
    """A step undone before the worker ran is not announced."""
    current = change.implementation
    if change.action == Act.ADOPT:
        return current.status in ADOPTED_STATES
    if change.action == Act.CONFIRM:
        return current.status == ImplementationStatus.CONFIRMED
    return current.reply_public


def implementation_notices_send(*, change_ids: list[int]) -> int:
    """Send one notice per announced step; steps already announced are skipped."""
    notifier = notifier_get()
    backend = type(notifier).__name__
    sent = 0
    changes = ImplementationChange.objects.filter(
        pk__in=change_ids, action__in=[Act.ADOPT, Act.CONFIRM, Act.REPLY]
    ).select_related("implementation__suggestion")
    for change in changes:
        with transaction.atomic():
            notice, _created = ImplementationNotice.objects.select_for_update().get_or_create(
                change=change, defaults={"backend": backend}
            )
            if notice.sent_at is not None or not _still_true(change):
                continue
            suggestion = change.implementation.suggestion
            sent += notice_deliver(
                notice=notice,
                backend=backend,
                receipt=suggestion.receipt,
                send=partial(
                    notifier.send,
                    suggestion=suggestion,
                    outcome=change.to_status,
                    message=implementation_message(change=change),
                ),
            )
    return sent


CATCH_UP_WINDOW = timedelta(days=7)


def implementation_notices_catch_up() -> int:
    """Announced steps of the last week whose notice was never queued or failed: send them."""
    ids = list(
        ImplementationChange.objects.filter(
            action__in=[Act.ADOPT, Act.CONFIRM, Act.REPLY],
            at__gte=timezone.now() - CATCH_UP_WINDOW,
        )
        .filter(Q(notice__isnull=True) | Q(notice__sent_at__isnull=True))
        .order_by("at")
        .values_list("pk", flat=True)[:5000]
    )
    return implementation_notices_send(change_ids=ids) if ids else 0


# --------------------------------------------------------------------------- 催办


def stale_days() -> int:
    return int(getattr(settings, "IMPLEMENTATION_STALE_DAYS", 14))


def reminders_due(*, day: date, now=None) -> dict[int, dict[str, list[str]]]:
    """Per lead unit: receipts of assignments past due and of those without an update
    for IMPLEMENTATION_STALE_DAYS days (two small indexed queries)."""
    now = now or timezone.now()
    due: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"overdue": [], "stale": []})
    for unit_id, receipt in Implementation.objects.overdue(day).values_list(
        "lead_unit_id", "suggestion__receipt"
    ):
        due[unit_id]["overdue"].append(receipt)
    since = now - timedelta(days=stale_days())
    for unit_id, receipt in Implementation.objects.stale(since).values_list(
        "lead_unit_id", "suggestion__receipt"
    ):
        due[unit_id]["stale"].append(receipt)
    return dict(due)


def reminder_message(*, reminder: ImplementationReminder) -> str:
    with translation.override("zh-hans"):
        return _(
            "【催办】%(unit)s：贵单位承办的金点子中，%(overdue)s 件已超过办结期限，"
            "%(stale)s 件超过 %(days)s 天未更新进展（回执号：%(receipts)s）。"
            "请抓紧办理并及时更新进展。"
        ) % {
            "unit": reminder.unit.name,
            "overdue": reminder.overdue,
            "stale": reminder.stale,
            "days": stale_days(),
            "receipts": reminder.receipts,
        }


def unit_staff_emails(*, unit: Unit) -> list[str]:
    """Addresses of the active staff who update this unit's implementations (bound to the
    unit or a unit above it)."""
    codes = [code for code in unit.path.strip("/").split("/") if code]
    users = (
        get_user_model()
        .objects.filter(is_active=True, screener_memberships__unit__code__in=codes)
        .exclude(email="")
        .distinct()
    )
    return sorted(u.email for u in users if u.has_perm("suggestions.update_implementation"))


def _deliver(reminder: ImplementationReminder) -> str:
    """Log the reminder (no personal data) and mail it to the unit's staff; returns the
    backend used. Raises on a mail failure so the caller records it."""
    message = reminder_message(reminder=reminder)
    logger.info("Implementation reminder for unit %s on %s", reminder.unit_id, reminder.day)
    recipients = unit_staff_emails(unit=reminder.unit)
    if not recipients:
        return "log"
    send_mail(
        subject=_("金点子落实催办"),
        message=message,
        from_email=None,
        recipient_list=recipients,
    )
    return "email"


def implementation_reminders_send(*, now=None) -> int:
    """One reminder per lead unit per day; a second run (or a redelivered task) sends
    nothing more. Returns the number sent now."""
    now = now or timezone.now()
    day = local_date(now)
    sent = 0
    for unit_id, found in sorted(reminders_due(day=day, now=now).items()):
        receipts = sorted(set(found["overdue"]) | set(found["stale"]))
        with transaction.atomic():
            reminder, _created = ImplementationReminder.objects.select_for_update().get_or_create(
                unit_id=unit_id,
                day=day,
                defaults={
                    "overdue": len(found["overdue"]),
                    "stale": len(found["stale"]),
                    "receipts": "、".join(receipts)[:5000],
                },
            )
            if reminder.sent_at is not None:
                continue
            try:
                backend = _deliver(reminder)
            except Exception as exc:
                logger.warning("Reminder for unit %s failed: %s", unit_id, type(exc).__name__)
                reminder.error = str(exc)[:200]
                reminder.save(update_fields=["error"])
                continue
            reminder.sent_at = timezone.now()
            reminder.backend = backend
            reminder.error = ""
            reminder.save(update_fields=["sent_at", "backend", "error"])
            sent += 1
    return sent
