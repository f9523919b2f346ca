from django.shortcuts import render
from django.utils import timezone

from suggestions.models import Campaign
from suggestions.privacy.notice import privacy_statements


def privacy(request):
    """The privacy notice: purpose, processors, retention, how to ask for deletion."""
    campaign = Campaign.objects.current()
    closes = timezone.localdate(campaign.closes_at) if campaign is not None else None
    return render(
        request, "suggestions/privacy.html", {"notice": privacy_statements(closes_at=closes)}
    )
