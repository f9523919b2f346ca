"""Staff roles: the one place that says who may do what for which unit.

A role is a Django group holding the role's permissions; a screener is also
bound to units through ScreenerMembership and covers their sub-units. Views,
admin and services ask the predicates below instead of checking groups or
flags themselves.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

from units.models import ScreenerMembership, Unit


class Role(models.TextChoices):
    SCREENER = "screener", _("单位初筛员")
    CITY_REVIEWER = "city_reviewer", _("市级评审员")
    LEADER = "leader", _("领导")
    ADMINISTRATOR = "administrator", _("管理员")


_STAFF_VIEW = [
    "units.view_unit",
    "units.view_supervisiongroup",
    "suggestions.view_campaign",
    "suggestions.view_topic",
    "suggestions.view_suggestion",
    "suggestions.view_statuschange",
    "suggestions.view_dashboard",
    "suggestions.view_implementation",
    "suggestions.view_implementationchange",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SCREENER: _STAFF_VIEW
    + [
        "suggestions.change_suggestion",
        "suggestions.screen_stage1",
        "suggestions.view_contact",
        # Progress of the ideas assigned to the screener's units (承办单位).
        "suggestions.update_implementation",
    ],
    Role.CITY_REVIEWER: _STAFF_VIEW
    + [
        "suggestions.change_suggestion",
        "suggestions.screen_stage2",
        "suggestions.view_contact",
    ],
    # Leaders read figures and lists; no change permission, no personal data.
    Role.LEADER: _STAFF_VIEW,
    Role.ADMINISTRATOR: None,  # every permission of the portal's own apps and of accounts
}

_ADMIN_APPS = ("units", "suggestions", "auth", "django_celery_beat")


def sync_role_groups() -> None:
    """Create the role groups and set their permissions; safe to run any time."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = ROLE_PERMISSIONS[role]
        if wanted is None:
            perms = Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS)
        else:
            perms = _permissions(wanted)
        group.permissions.set(perms)


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def assign_role(*, user: AbstractBaseUser, role: Role, units: list[Unit] | tuple = ()) -> None:
    """Give a user a role (and, for screeners, the units they screen)."""
    if role == Role.SCREENER and not units:
        raise ValueError("A screener must be bound to at least one unit.")
    user.groups.add(Group.objects.get(name=role.value))
    for unit in units:
        ScreenerMembership.objects.get_or_create(user=user, unit=unit)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    _forget(user)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user._portal_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    return role.value in roles_of(user)


def is_city_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or has_role(
        user, Role.ADMINISTRATOR
    )


def is_city_reviewer(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.CITY_REVIEWER)


def is_leader(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.LEADER)


def sees_all_units(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Reviewers, leaders and administrators work across the whole city."""
    return is_city_admin(user) or is_city_reviewer(user) or is_leader(user)


def screened_units(user: AbstractBaseUser | AnonymousUser) -> models.QuerySet[Unit]:
    """Units a screener covers: their bound units and everything below them."""
    if not has_role(user, Role.SCREENER):
        return Unit.objects.none()
    bound = Unit.objects.filter(screener_memberships__user=user)
    return Unit.objects.within_any(list(bound))


def screened_unit_ids(user: AbstractBaseUser | AnonymousUser) -> frozenset[int]:
    """Ids of ``screened_units(user)`` in one query, kept on the user object for the request.

    The desk asks for them several times per request (the Actor, the scope of each
    queryset); reading them once keeps a triage decision within its query budget.
    """
    cached = getattr(user, "_portal_screened_ids", None)
    if cached is None:
        if not has_role(user, Role.SCREENER):
            cached = frozenset()
        else:
            # A unit is covered when one of the user's bound units is a prefix of its path.
            bound_above = (
                ScreenerMembership.objects.filter(user=user)
                .annotate(
                    covered_path=models.ExpressionWrapper(
                        models.OuterRef("path"), output_field=models.CharField()
                    )
                )
                .filter(covered_path__startswith=models.F("unit__path"))
            )
            cached = frozenset(
                Unit.objects.filter(models.Exists(bound_above)).values_list("pk", flat=True)
            )
        user._portal_screened_ids = cached
    return cached


def visible_units(user: AbstractBaseUser | AnonymousUser) -> models.QuerySet[Unit]:
    """Units whose ideas a staff member may see."""
    if sees_all_units(user):
        return Unit.objects.all()
    return screened_units(user)


def can_screen_unit(user: AbstractBaseUser | AnonymousUser, unit: Unit) -> bool:
    return screened_units(user).filter(pk=unit.pk).exists()


def _forget(user: AbstractBaseUser | AnonymousUser) -> None:
    for memo in ("_portal_roles", "_portal_screened_ids"):
        if hasattr(user, memo):
            delattr(user, memo)
