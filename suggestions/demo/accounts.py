"""Demo data for a local portal: the active campaign and one account per role."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from suggestions.common.time import LOCAL_TZ
from suggestions.models import Campaign, CampaignPhase, Topic
from units.models import SupervisionGroup, Unit, UnitKind
from units.roles import Role, assign_role

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


# The campaign's topics; migration 0002 loads the same list into a new database.
DEFAULT_TOPICS = [
    "十四五规划",
    "转型发展",
    "招商引智",
    "营商环境",
    "城乡建设",
    "文化旅游",
    "农业农村",
    "生态环保",
    "社会民生",
    "文明城市创建",
    "其他",
]


def default_topics_ensure() -> None:
    """Recreate missing default topics (a flushed test database loses migration data)."""
    for order, name in enumerate(DEFAULT_TOPICS, start=1):
        Topic.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


def demo_campaign_ensure() -> Campaign:
    default_topics_ensure()
    campaign, _ = Campaign.objects.get_or_create(
        slug="jc2021",
        defaults={
            "name": "晋城市“大家想、大家说、大家干”金点子征集活动",
            "receipt_prefix": "JC2021",
            "opens_at": datetime(2021, 2, 26, tzinfo=LOCAL_TZ),
            # Kept open far ahead so the local portal accepts submissions.
            "closes_at": datetime(2031, 12, 31, 23, 59, tzinfo=LOCAL_TZ),
            "phase": CampaignPhase.IMPLEMENTATION,
            "is_active": True,
        },
    )
    return campaign


SUPERVISION_GROUPS = 12
SUPERVISED_TOWNS = 22  # 75 reporting units + 22 towns = the campaign's 97 supervised units


def demo_supervision_groups_ensure() -> None:
    """Twelve 督导组 dealing out the 97 supervised units in turn (demo, not the real roster)."""
    if SupervisionGroup.objects.exists():
        return
    supervised = list(Unit.objects.reporting()) + list(
        Unit.objects.filter(kind=UnitKind.TOWN)[:SUPERVISED_TOWNS]
    )
    groups = [
        SupervisionGroup.objects.create(name=f"第{n:02d}督导组", leader_name=f"督导组长{n:02d}")
        for n in range(1, SUPERVISION_GROUPS + 1)
    ]
    for index, unit in enumerate(supervised):
        groups[index % SUPERVISION_GROUPS].units.add(unit)


@transaction.atomic
def demo_seed() -> list[tuple[str, str]]:
    """Create the demo campaign and accounts; returns (username, description) pairs."""
    if not settings.DEBUG:
        raise RuntimeError("Demo accounts are only created when DEBUG is on.")
    demo_campaign_ensure()
    demo_supervision_groups_ensure()
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
