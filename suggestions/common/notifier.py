"""Picking the portal's notifier and recording one send: shared by every notice to
submitters (screening outcomes, adoption and implementation steps).

Here rather than in either capability so that neither imports the other: the screening
workflow opens the implementation record of an idea it rates excellent, so the
implementation package must not depend on the screening package. The notifier classes
stay in suggestions.screening.notifications and are loaded by dotted path (setting
PORTAL_NOTIFIER).
"""

import logging

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

_MODULE = "suggestions.screening.notifications."
_FORMER_MODULE = "suggestions.notifications."
DEFAULT_NOTIFIER = _MODULE + "LogNotifier"


def notifier_get():
    """The configured notifier (an object with ``send(*, suggestion, outcome, message=None)``)."""
    path = getattr(settings, "PORTAL_NOTIFIER", DEFAULT_NOTIFIER)
    if path.startswith(_FORMER_MODULE):
        # Deployments configured before the module moved keep working.
        path = _MODULE + path.removeprefix(_FORMER_MODULE)
    return import_string(path)()


def notice_deliver(*, notice, backend: str, receipt: str, send) -> bool:
    """Call ``send`` and record on the notice row that it was sent, or why it failed.

    Shared by every notice to submitters; the caller holds the row locked.
    """
    try:
        send()
    except Exception as exc:
        logger.warning("Notice for %s failed: %s", receipt, exc)
        notice.error = str(exc)[:200]
        notice.save(update_fields=["error"])
        return False
    notice.sent_at = timezone.now()
    notice.backend = backend
    notice.error = ""
    notice.save(update_fields=["sent_at", "backend", "error"])
    return True
