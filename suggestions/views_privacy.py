from django.conf import settings
from django.shortcuts import render

from suggestions.models import Campaign


def privacy(request):
    """The privacy notice: purpose, processors, retention, how to ask for deletion."""
    context = {
        "campaign": Campaign.objects.current(),
        "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
    }
    return render(request, "suggestions/privacy.html", context)
