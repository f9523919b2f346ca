from datetime import timedelta

import pytest
from django.utils import timezone

from suggestions.common.time import local_date
from suggestions.models import Implementation, ImplementationStatus, Status
from tests.factories import SuggestionFactory

ASSIGNED_STATES = {
    ImplementationStatus.ASSIGNED,
    ImplementationStatus.IN_PROGRESS,
    ImplementationStatus.COMPLETED,
    ImplementationStatus.CONFIRMED,
}


def today():
    return local_date(timezone.now())


@pytest.fixture(autouse=True)
def _cheap_passwords(settings):
    # The matrix creates the five personas hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def impl_factory(campaign, units):
    """An excellent idea of 泽州县's town 巴公镇 (by default) and its implementation record
    in a given state; assigned states have 城区 as lead unit, due in 30 days."""

    def make(status=ImplementationStatus.PENDING, unit="巴公镇", lead="城区", **kwargs):
        idea = SuggestionFactory(
            campaign=campaign,
            unit=units[unit],
            status=kwargs.pop("idea_status", Status.EXCELLENT),
            phone=kwargs.pop("phone", "13812345678"),
            name=kwargs.pop("name", "张三"),
        )
        if status in ASSIGNED_STATES:
            kwargs.setdefault("lead_unit", units[lead])
            kwargs.setdefault("due_date", today() + timedelta(days=30))
            kwargs.setdefault("assigned_at", timezone.now())
            kwargs.setdefault("last_progress_at", timezone.now())
        return Implementation.objects.create(
            suggestion=idea, campaign=campaign, status=status, **kwargs
        )

    return make
