"""Telling submitters the outcome of their idea: one interface, several backends.

settings.PORTAL_NOTIFIER names the backend class (dotted path). The default,
LogNotifier, writes the receipt and outcome to the log and never the phone
number, so a laptop or CI needs no SMS account.
"""

import json
import logging
import urllib.request
from datetime import timedelta
from functools import partial
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from suggestions.common.notifier import (  # noqa: F401 (imported from here too)
    DEFAULT_NOTIFIER,
    notice_deliver,
    notifier_get,
)
from suggestions.models import OutcomeNotice, Status, StatusChange, Suggestion
from suggestions.screening.workflow import OUTCOME_NOTICE_DELAY_SECONDS

logger = logging.getLogger(__name__)


class Notifier(Protocol):
    def send(self, *, suggestion: Suggestion, outcome: str, message: str | None = None) -> None:
        """Deliver the outcome; raise on failure so the caller can record it.

        ``message``, when given, is the text to send instead of the outcome's (the
        implementation workflow's notices: adoption, completion, official reply)."""


def outcome_message(*, suggestion: Suggestion, outcome: str) -> str:
    # Citizens get Chinese whatever language the staff member was using.
    with translation.override("zh-hans"):
        return _("您提交的金点子（回执号 %(receipt)s）评选结果：%(outcome)s。感谢您的参与！") % {
            "receipt": suggestion.receipt,
            "outcome": Status(outcome).label,
        }


class LogNotifier:
    """Development default: the message goes to the log, without personal data."""

    def send(self, *, suggestion: Suggestion, outcome: str, message: str | None = None) -> None:
        logger.info(
            "Outcome notice for %s: %s (contact %s)",
            suggestion.receipt,
            outcome,
            "on file" if suggestion.phone else "none",
        )


class SmsNotifier:
    """POSTs {"phone", "message"} as JSON to the SMS gateway at PORTAL_SMS_GATEWAY_URL."""

    def send(self, *, suggestion: Suggestion, outcome: str, message: str | None = None) -> None:
        url = getattr(settings, "PORTAL_SMS_GATEWAY_URL", "")
        if not url.startswith(("https://", "http://")):
            raise RuntimeError("PORTAL_SMS_GATEWAY_URL is not set to an http(s) URL")
        if not suggestion.phone:
            return
        body = json.dumps(
            {
                "phone": suggestion.phone,
                "message": message or outcome_message(suggestion=suggestion, outcome=outcome),
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")


class EmailNotifier:
    """Sends through Django's e-mail backend to an SMS-to-mail gateway address.

    Ideas carry a phone number, not an e-mail address, so the recipient is
    PORTAL_NOTIFY_EMAIL_TO formatted with the phone (e.g. "{phone}@sms.example.cn").
    """

    def send(self, *, suggestion: Suggestion, outcome: str, message: str | None = None) -> None:
        template = getattr(settings, "PORTAL_NOTIFY_EMAIL_TO", "")
        if "{phone}" not in template:
            raise RuntimeError("PORTAL_NOTIFY_EMAIL_TO must contain {phone}")
        if not suggestion.phone:
            return
        send_mail(
            subject=_("金点子评选结果"),
            message=message or outcome_message(suggestion=suggestion, outcome=outcome),
            from_email=None,
            recipient_list=[template.format(phone=suggestion.phone)],
        )


def outcome_notices_send(*, status_change_ids: list[int]) -> int:
    """Send one notice per outcome decision; decisions already notified are skipped.

    A notice is only sent while the idea still has that outcome (a decision
    undone before the worker ran is not announced). Returns the number sent.
    """
    notifier = notifier_get()
    backend = type(notifier).__name__
    sent = 0
    changes = StatusChange.objects.filter(pk__in=status_change_ids).select_related("suggestion")
    for change in changes:
        with transaction.atomic():
            notice, _created = OutcomeNotice.objects.select_for_update().get_or_create(
                status_change=change, defaults={"backend": backend}
            )
            if notice.sent_at is not None or change.suggestion.status != change.to_status:
                continue
            sent += notice_deliver(
                notice=notice,
                backend=backend,
                receipt=change.suggestion.receipt,
                send=partial(notifier.send, suggestion=change.suggestion, outcome=change.to_status),
            )
    return sent


CATCH_UP_WINDOW = timedelta(days=7)
CATCH_UP_BATCH = 5_000


def outcome_notices_catch_up(*, older_than_seconds: int = OUTCOME_NOTICE_DELAY_SECONDS) -> int:
    """Outcome decisions of the last week whose notice was never queued or failed: send them.

    Run periodically, so decisions taken while the broker was down are still announced.
    Decisions younger than the undo window are left for their own delayed task.
    """
    now = timezone.now()
    ids = list(
        StatusChange.objects.filter(
            to_status__in=[Status.EXCELLENT, Status.SET_ASIDE],
            at__gte=now - CATCH_UP_WINDOW,
            at__lte=now - timedelta(seconds=older_than_seconds),
        )
        .filter(Q(notice__isnull=True) | Q(notice__sent_at__isnull=True))
        .order_by("at")
        .values_list("pk", flat=True)[:CATCH_UP_BATCH]
    )
    return outcome_notices_send(status_change_ids=ids) if ids else 0
