"""Demo data for a local portal: the active campaign and one account per role."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from suggestions.models import Campaign, CampaignPhase
from units.models import Unit
from units.roles import Role, assign_role

SHANGHAI = ZoneInfo("Asia/Shanghai")

# username, role, unit names for screeners, description for the README/console
DEMO_ACCOUNTS = [
    ("admin", Role.ADMINISTRATOR, [], "市级管理员 city administrator"),
    ("leader", Role.LEADER, [], "领导（只读看板）leader, read-only"),
    ("reviewer", Role.CITY_REVIEWER, [], "市级评审员 city reviewer (stage 2)"),
    ("screener_chengqu", Role.SCREENER, ["城区"], "城区初筛员 screener of 城区"),
    ("screener_kfq", Role.SCREENER, ["晋城经济技术开发区"], "开发区初筛员 screener of the zone"),
    (
        "screener_wenlv",
        Role.SCREENER,
        ["市文化和旅游局"],
        "市文旅局初筛员 screener of 市文化和旅游局",
    ),
]


def demo_campaign_ensure() -> Campaign:
    campaign, _ = Campaign.objects.get_or_create(
        slug="jc2021",
        defaults={
            "name": "晋城市“大家想、大家说、大家干”金点子征集活动",
            "receipt_prefix": "JC2021",
            "opens_at": datetime(2021, 2, 26, tzinfo=SHANGHAI),
            # Kept open far ahead so the local portal accepts submissions.
            "closes_at": datetime(2031, 12, 31, 23, 59, tzinfo=SHANGHAI),
            "phase": CampaignPhase.IMPLEMENTATION,
            "is_active": True,
        },
    )
    return campaign


@transaction.atomic
def demo_seed() -> list[tuple[str, str]]:
    """Create the demo campaign and accounts; returns (username, description) pairs."""
    if not settings.DEBUG:
        raise RuntimeError("Demo accounts are only created when DEBUG is on.")
    demo_campaign_ensure()
    User = get_user_model()
    created = []
    for username, role, unit_names, description in DEMO_ACCOUNTS:
        user, is_new = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if is_new:
            user.set_password(settings.PORTAL_DEMO_PASSWORD)
            user.save()
        units = [Unit.objects.get(name=name) for name in unit_names]
        assign_role(user=user, role=role, units=units)
        created.append((username, description))
    return created
