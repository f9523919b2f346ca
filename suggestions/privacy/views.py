from django.conf import settings
from django.shortcuts import render

from suggestions.models import Campaign


def privacy_facts() -> dict:
    """What every privacy notice states (the /privacy/ page and the form's summary)."""
    return {
        "controller": settings.PRIVACY_DATA_CONTROLLER,
        "contact": settings.PRIVACY_CONTACT,
        "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
    }


def privacy(request):
    """The privacy notice: purpose, processors, retention, how to ask for deletion."""
    context = {"campaign": Campaign.objects.current(), "privacy": privacy_facts()}
    return render(request, "suggestions/privacy.html", context)
