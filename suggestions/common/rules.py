"""Who may do what: the portal's permission rules as named predicates.

The workflow, the desk's buttons and actions, the duplicates services, the privacy
services and the views all ask these, so what a button offers and what the service
allows cannot drift apart. Roles and their Django permissions are defined in
units.roles; scoping (which ideas a staff member sees at all) is in
suggestions.common.scoping.

The module sits in common/ rather than screening/ because the privacy and duplicates
packages decide with the same rules and the screening desk depends on both.

Most rules take an ``Actor``: what the rules need to know about a staff member,
read once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from suggestions.models import Status, Suggestion
from units.models import Unit
from units.roles import (
    ROLE_PERMISSIONS,
    is_city_admin,
    is_city_reviewer,
    roles_of,
    screened_unit_ids,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


@dataclass(frozen=True)
class Actor:
    user: object
    is_admin: bool
    is_reviewer: bool
    can_stage1: bool
    can_stage2: bool
    can_reopen: bool
    screened_unit_ids: frozenset[int]
    can_update_implementation: bool = False

    @classmethod
    def of(cls, user: AbstractBaseUser | AnonymousUser) -> Actor:
        active = bool(user and user.is_authenticated and user.is_active)
        if not active:
            return cls(user, False, False, False, False, False, frozenset())
        return cls(
            user=user,
            is_admin=is_city_admin(user),
            is_reviewer=is_city_reviewer(user),
            can_stage1=user.has_perm("suggestions.screen_stage1"),
            can_stage2=user.has_perm("suggestions.screen_stage2"),
            can_reopen=user.has_perm("suggestions.reopen_report"),
            screened_unit_ids=screened_unit_ids(user),
            can_update_implementation=user.has_perm("suggestions.update_implementation"),
        )


# --- stage 1: the idea's own unit ---------------------------------------------


def can_screen_stage1(actor: Actor) -> bool:
    """May take stage-1 decisions on some ideas (offers the desk's stage-1 actions)."""
    return actor.is_admin or actor.can_stage1


def can_decide_stage1(actor: Actor, idea: Suggestion) -> bool:
    """Stage 1 of this idea: a screener of its unit (or a unit above it), or an administrator.

    Also the rule for regrouping the idea's near-duplicates.
    """
    return actor.is_admin or (actor.can_stage1 and idea.unit_id in actor.screened_unit_ids)


def can_report(actor: Actor, unit: Unit) -> bool:
    """报送: declare a unit's stage 1 done."""
    return actor.is_admin or (actor.can_stage1 and unit.pk in actor.screened_unit_ids)


def can_reopen_report(actor: Actor) -> bool:
    """Reopen a unit's report so its stage 1 can change again (city administrators)."""
    return actor.can_reopen


# --- stage 2: the city ----------------------------------------------------------


def can_decide_stage2(actor: Actor) -> bool:
    return actor.is_admin or actor.can_stage2


def can_score(actor: Actor, idea: Suggestion | None = None) -> bool:
    """Score ideas (and, given one, this idea now: only shortlisted ideas are scored)."""
    allowed = actor.is_admin or actor.can_stage2
    return allowed and (idea is None or idea.status == Status.SHORTLISTED)


def can_see_scores(actor: Actor) -> bool:
    return actor.is_admin or actor.is_reviewer


def can_undo_stage1(actor: Actor) -> bool:
    """Send a stage-1 decision back: a city reviewer or an administrator."""
    return actor.is_admin or actor.is_reviewer


def can_undo_stage2(actor: Actor) -> bool:
    """Withdraw an excellent rating: administrators only."""
    return actor.is_admin


# --- adoption and implementation (大家干) -----------------------------------------


def can_decide_adoption(actor: Actor) -> bool:
    """Adopt, reference or set aside an excellent idea, assign it, confirm or send back its
    completion, approve its official reply: the city (reviewers and administrators)."""
    return actor.is_admin or actor.is_reviewer


def can_update_implementation(actor: Actor, lead_unit_id: int | None) -> bool:
    """Post progress and report completion: staff of the lead unit (or a unit above it)
    holding the update permission, or an administrator. Co-units read only."""
    if actor.is_admin:
        return True
    return (
        actor.can_update_implementation
        and lead_unit_id is not None
        and lead_unit_id in actor.screened_unit_ids
    )


# --- administration and personal data -----------------------------------------


def can_administer(user: AbstractBaseUser | AnonymousUser) -> bool:
    """City administrators: deletion requests, notices sent, campaign settings."""
    return is_city_admin(user)


def can_view_contact(user: AbstractBaseUser | AnonymousUser) -> bool:
    """See a submitter's full name and phone (each read is logged by the privacy services)."""
    return bool(user and user.is_active and user.has_perm("suggestions.view_contact"))


def can_view_dashboard(user: AbstractBaseUser | AnonymousUser) -> bool:
    """The leadership dashboard and the per-unit reports (the view_dashboard permission).

    A role whose definition grants the permission settles it from the user's roles, which
    the dashboard reads anyway, so the check costs no query there (the page keeps to 15);
    any other account needs the permission itself.
    """
    if not (user and user.is_active and user.is_authenticated):
        return False
    if roles_of(user) & _DASHBOARD_ROLES:
        return True
    return user.has_perm(VIEW_DASHBOARD)


VIEW_DASHBOARD = "suggestions.view_dashboard"
_DASHBOARD_ROLES = frozenset(
    role.value
    for role, perms in ROLE_PERMISSIONS.items()
    if perms is None or VIEW_DASHBOARD in perms
)
