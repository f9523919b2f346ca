"""Triage: working through a queue of ideas one at a time (selectors and soft leases).

A queue is any scoped, filtered queryset of ideas (the desk builds it from the
changelist's own filters and search), walked newest first, like the changelist.

Two screeners in one queue should not be handed the same idea at the same moment,
so showing an idea takes a soft lease on it in the cache for LEASE_SECONDS; the
next pick skips ideas leased by someone else. A lease is a courtesy, not a lock:
an expired lease (or a cache outage) only means two people may open the same idea,
and then the workflow's conditional update ("already changed by X") decides.
"""

from django.core.cache import cache
from django.db.models import Q, QuerySet

from suggestions.models import Suggestion

LEASE_SECONDS = 120
# Candidates read per query while skipping leased ideas.
PICK_BATCH = 25
# The queue's size is counted up to this many ("1000+" beyond).
COUNT_CAP = 1000
QUEUE_ORDER = ("-received_at", "-id")


def _lease_key(suggestion_id: int) -> str:
    return f"triage:lease:{suggestion_id}"


def lease_take(*, suggestion_id: int, user_id: int) -> bool:
    """Lease the idea for the user (renewing their own lease); False when someone else holds it."""
    key = _lease_key(suggestion_id)
    if cache.add(key, user_id, LEASE_SECONDS):
        return True
    holder = cache.get(key)
    if holder is None:  # expired between the two calls
        return cache.add(key, user_id, LEASE_SECONDS)
    if holder == user_id:
        cache.touch(key, LEASE_SECONDS)
        return True
    return False


def lease_holder(suggestion_id: int) -> int | None:
    return cache.get(_lease_key(suggestion_id))


def lease_release(*, suggestion_id: int, user_id: int) -> None:
    """Give up the user's own lease (never someone else's)."""
    key = _lease_key(suggestion_id)
    if cache.get(key) == user_id:
        cache.delete(key)


# Written as a range on received_at minus the anchor's own instant (not an OR of two
# conditions), so PostgreSQL starts the index scan of sugg_desk_newest at the anchor
# instead of walking every newer entry.
def _after(anchor: Suggestion) -> Q:
    """Ideas that come after ``anchor`` in QUEUE_ORDER (older, or same time and lower id)."""
    return Q(received_at__lte=anchor.received_at) & ~Q(
        received_at=anchor.received_at, pk__gte=anchor.pk
    )


def _before(anchor: Suggestion) -> Q:
    return Q(received_at__gte=anchor.received_at) & ~Q(
        received_at=anchor.received_at, pk__lte=anchor.pk
    )


def triage_pick(
    *,
    queue: QuerySet,
    user_id: int,
    after: Suggestion | None = None,
    before: Suggestion | None = None,
    lease: bool = True,
) -> Suggestion | None:
    """The next idea of the queue (after ``after``, or the previous one before ``before``)
    that nobody else holds a lease on, leased to the user; None when the queue is done.

    ``lease=False`` (a reader who cannot decide, e.g. a leader) takes no lease, so
    reading never keeps an idea from the people who screen it."""
    queue = queue.order_by(*QUEUE_ORDER)
    if after is not None:
        queue = queue.filter(_after(after))
    elif before is not None:
        queue = queue.filter(_before(before)).reverse()
    seen = 0
    while True:
        batch = list(queue.select_related("unit", "topic", "campaign")[seen : seen + PICK_BATCH])
        if not batch:
            return None
        holders = cache.get_many([_lease_key(s.pk) for s in batch])
        for idea in batch:
            holder = holders.get(_lease_key(idea.pk))
            if holder not in (None, user_id):
                continue
            if not lease or lease_take(suggestion_id=idea.pk, user_id=user_id):
                return idea
        seen += len(batch)


def queue_size(queue: QuerySet) -> tuple[int, bool]:
    """(count, capped): the queue's size, counted up to COUNT_CAP."""
    n = queue.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP
