import itertools

import factory

from suggestions.demo.accounts import default_topics_ensure
from suggestions.models import Channel, IdentityType, Suggestion, Topic

_sequence = itertools.count(1)


def _default_topic():
    # Topics come from a data migration, which a transactional test's flush undoes.
    # One query per idea while they are there (tests create ideas by the hundred).
    topic = Topic.objects.order_by("sort_order").first()
    if topic is None:
        default_topics_ensure()
        topic = Topic.objects.order_by("sort_order").first()
    return topic


class SuggestionFactory(factory.django.DjangoModelFactory):
    """An idea written straight to the database (intake's own rules are tested elsewhere)."""

    class Meta:
        model = Suggestion

    sequence = factory.LazyFunction(lambda: next(_sequence))
    receipt = factory.LazyAttribute(lambda o: f"{o.campaign.receipt_prefix}-{o.sequence:06d}")
    channel = Channel.WEB
    topic = factory.LazyFunction(_default_topic)
    identity_type = IdentityType.PUBLIC
    title = factory.Sequence(lambda n: f"关于改善城市环境的建议{n}")
    content = "建议在老城区增加口袋公园和健身步道，方便居民就近锻炼，提升城市宜居水平。"
    name = "张三"
    phone = "13812345678"
    fingerprint = factory.Sequence(lambda n: f"fp{n}")
