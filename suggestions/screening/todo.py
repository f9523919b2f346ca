"""What a staff member has to do now: the figures of the admin index (selectors).

Every count is read through the scoping module, so a screener's index only ever
counts their own units' ideas.
"""

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from suggestions.common import rules
from suggestions.common.rules import Actor
from suggestions.common.scoping import suggestions_visible
from suggestions.models import Campaign, Status, UnitReport
from units.models import ScreenerMembership, Unit, UnitKind
from units.roles import Role, is_leader, roles_of

# Units listed in a reviewer's "待评审 per unit" (the busiest first).
REVIEW_UNITS_SHOWN = 20


def staff_identity(user) -> str:
    """Role and unit for the greeting: '城区初筛员 · 城区', '市级评审员 · 全市'."""
    roles = roles_of(user)
    if Role.SCREENER in roles:
        names = list(
            ScreenerMembership.objects.filter(user=user)
            .order_by("unit__sort_order", "unit__code")
            .values_list("unit__name", flat=True)
        )
        if names:
            return _("%(unit)s初筛员 · %(units)s") % {"unit": names[0], "units": "、".join(names)}
    for role in (Role.ADMINISTRATOR, Role.CITY_REVIEWER, Role.LEADER):
        if role in roles:
            return f"{role.label} · {_('全市')}"
    if getattr(user, "is_superuser", False):
        return f"{Role.ADMINISTRATOR.label} · {_('全市')}"
    return ""


def campaign_todo(*, user) -> dict:
    """The index's to-do panel: campaign phase and days left, then per role what waits."""
    campaign = Campaign.objects.current()
    if campaign is None:
        return {"campaign": None}
    actor = Actor.of(user)
    now = timezone.now()
    todo = {
        "campaign": campaign,
        "phase": campaign.get_phase_display(),
        "days_left": max(0, (campaign.closes_at - now).days) if campaign.closes_at > now else 0,
        "closed": campaign.closes_at <= now,
    }
    ideas = suggestions_visible(user=user).filter(campaign=campaign)
    if actor.can_stage1 and actor.screened_unit_ids:
        todo["screening"] = _screening(ideas, actor, campaign)
    if rules.can_decide_stage2(actor):
        todo["review"] = _review(ideas)
    if rules.can_view_dashboard(user) and (is_leader(user) or actor.is_admin):
        city = Unit.objects.filter(kind=UnitKind.CITY).order_by("sort_order").first()
        todo["city_report_unit"] = city
    todo["can_dashboard"] = rules.can_view_dashboard(user)
    return todo


def _screening(ideas, actor: Actor, campaign: Campaign) -> dict:
    counts = dict(ideas.order_by().values_list("status").annotate(n=Count("pk")))
    bound = Unit.objects.filter(screener_memberships__user=actor.user).order_by("sort_order")
    reports = {
        r.unit_id: r for r in UnitReport.objects.filter(campaign=campaign, unit__in=list(bound))
    }
    return {
        "waiting": counts.get(Status.COLLECTED, 0),
        "done": sum(n for s, n in counts.items() if s != Status.COLLECTED),
        "units": [
            {"unit": u, "report": reports.get(u.pk), "is_reporting": u.is_reporting} for u in bound
        ],
    }


def _review(ideas) -> dict:
    rows = list(
        ideas.filter(status=Status.SHORTLISTED)
        .order_by()
        .values("unit_id", "unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__name")
    )
    return {"total": sum(r["n"] for r in rows), "units": rows[:REVIEW_UNITS_SHOWN]}
