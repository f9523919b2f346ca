"""The --campaign SLUG argument shared by the per-campaign commands (not a command itself)."""

from django.core.management.base import CommandError

from suggestions.models import Campaign


def add_campaign_argument(parser) -> None:
    parser.add_argument("--campaign", required=True, help="campaign slug")


def campaign_by_slug(slug: str) -> Campaign:
    try:
        return Campaign.objects.get(slug=slug)
    except Campaign.DoesNotExist:
        raise CommandError(f"No campaign with slug {slug!r}.") from None
