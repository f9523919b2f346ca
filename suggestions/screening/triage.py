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
from django.db.models import Q, QuerySet, Subquery

from suggestions.models import SetAsideReason, Suggestion

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
# instead of walking every newer entry. The anchor's time is a subquery on the same
# scoped queue base, so moving on costs no query of its own and an id outside the
# user's scope positions nothing (the subquery is empty, the queue ends).
def _anchor_time(scope: QuerySet, anchor_id: int) -> Subquery:
    return Subquery(scope.order_by().filter(pk=anchor_id).values("received_at")[:1])


def _after(scope: QuerySet, anchor_id: int) -> Q:
    """Ideas that come after the anchor in QUEUE_ORDER (older, or same time and lower id)."""
    at = _anchor_time(scope, anchor_id)
    return Q(received_at__lte=at) & ~Q(received_at=at, pk__gte=anchor_id)


def _before(scope: QuerySet, anchor_id: int) -> Q:
    at = _anchor_time(scope, anchor_id)
    return Q(received_at__gte=at) & ~Q(received_at=at, pk__lte=anchor_id)


def triage_pick(
    *,
    queue: QuerySet,
    scope: QuerySet,
    user_id: int,
    after: int | None = None,
    before: int | None = None,
    lease: bool = True,
) -> Suggestion | None:
    """The next idea of the queue (after the idea with id ``after``, or the previous one
    before ``before``) that nobody else holds a lease on, leased to the user; None when
    the queue is done. ``scope`` is the user's scoped queryset the anchor is read from.

    One query per PICK_BATCH candidates: a keyset range on the sugg_desk_newest order,
    never an OFFSET or a count.

    ``lease=False`` (a reader who cannot decide, e.g. a leader) takes no lease, so
    reading never keeps an idea from the people who screen it."""
    queue = queue.order_by(*QUEUE_ORDER).select_related("unit", "topic", "campaign")
    if after is not None:
        queue = queue.filter(_after(scope, after))
    elif before is not None:
        queue = queue.filter(_before(scope, before)).reverse()
    last = None
    while True:
        page = queue if last is None else queue.filter(_after_row(last, reverse=before is not None))
        batch = list(page[:PICK_BATCH])
        if not batch:
            return None
        holders = cache.get_many([_lease_key(s.pk) for s in batch])
        for idea in batch:
            holder = holders.get(_lease_key(idea.pk))
            if holder not in (None, user_id):
                continue
            if not lease or lease_take(suggestion_id=idea.pk, user_id=user_id):
                return idea
        last = batch[-1]


def _after_row(row: Suggestion, *, reverse: bool) -> Q:
    """The rest of the queue past an already read batch (a keyset, not an OFFSET)."""
    if reverse:
        return Q(received_at__gte=row.received_at) & ~Q(received_at=row.received_at, pk__lte=row.pk)
    return Q(received_at__lte=row.received_at) & ~Q(received_at=row.received_at, pk__gte=row.pk)


def queue_size(queue: QuerySet) -> tuple[int, bool]:
    """(count, capped): the queue's size, counted up to COUNT_CAP."""
    n = queue.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


# The set-aside presets change a few times a campaign and are shown with every idea:
# read from the cache, dropped whenever an administrator edits them (SetAsideReasonAdmin).
PRESETS_KEY = "triage:presets"
PRESETS_SHOWN = 9


def presets_active() -> list[SetAsideReason]:
    presets = cache.get(PRESETS_KEY)
    if presets is None:
        presets = list(SetAsideReason.objects.filter(is_active=True)[:PRESETS_SHOWN])
        cache.set(PRESETS_KEY, presets, 300)
    return presets


def presets_forget() -> None:
    cache.delete(PRESETS_KEY)


# The user's last triage decision, for the U key: in the cache rather than the
# session, so a decision does not also cost a session write.
def _last_key(user_id: int) -> str:
    return f"triage:last:{user_id}"


def last_decision_remember(*, user_id: int, decision: dict, seconds: int) -> None:
    cache.set(_last_key(user_id), decision, seconds + 5)


def last_decision(user_id: int) -> dict | None:
    return cache.get(_last_key(user_id))


def last_decision_forget(user_id: int) -> None:
    cache.delete(_last_key(user_id))
