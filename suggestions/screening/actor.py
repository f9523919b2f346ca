"""The request's Actor, read once per request.

The admin asks each bulk action's permission (stage 1, stage 2, decide) separately,
and each question built a fresh Actor (two queries for the screener's units): 26
Actors, 52 queries, for one changelist page. The desk's permission checks share one.
"""

from suggestions.common.rules import Actor


def request_actor(request) -> Actor:
    actor = getattr(request, "_desk_actor", None)
    if actor is None or actor.user is not request.user:
        actor = Actor.of(request.user)
        request._desk_actor = actor
    return actor
