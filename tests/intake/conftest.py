import contextlib

import pytest
from django.core.cache import cache

from suggestions.common.broker import broker_backoff_reset
from suggestions.intake.forms import fragments_clear
from suggestions.intake.ratelimit import cache_backoff_reset
from suggestions.intake.services import campaign_cache_clear
from suggestions.models import Topic

GOOD_CONTENT = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，提升城市宜居水平。"


@pytest.fixture(autouse=True)
def _fresh_state():
    # Rate-limit counters and the per-process backoffs must not leak between tests.
    cache_backoff_reset()
    broker_backoff_reset()
    fragments_clear()
    campaign_cache_clear()
    with contextlib.suppress(Exception):  # a test may have stopped its private Redis
        cache.clear()
    yield
    cache_backoff_reset()
    broker_backoff_reset()


@pytest.fixture
def topic(db):
    # Transactional tests flush the topics seeded by migration 0002: recreate them.
    topic, _ = Topic.objects.get_or_create(name="城乡建设", defaults={"sort_order": 50})
    Topic.objects.get_or_create(name="农业农村", defaults={"sort_order": 70})
    return topic


@pytest.fixture
def form_data(units, campaign, topic):
    """A valid web form submission as a person would fill it."""
    return {
        "title": "老城区增设口袋公园",
        "content": GOOD_CONTENT,
        "topic": str(topic.pk),
        "unit": str(units["泽州县"].pk),
        "identity_type": "public",
        "name": "张三",
        "phone": "138 1234 5678",
        "consent": "on",
        "website": "",
    }


@pytest.fixture
def submit_kwargs(units, campaign, topic):
    return {
        "campaign": campaign,
        "title": "老城区增设口袋公园",
        "content": GOOD_CONTENT,
        "topic": topic,
        "unit": units["城区"],
        "identity_type": "public",
        "name": "李四",
        "phone": "13912345678",
        "publish_consent": False,
        "channel": "web",
    }
