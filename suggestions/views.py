from django.shortcuts import render

from suggestions.models import Campaign


def home(request):
    campaign = Campaign.objects.current()
    return render(request, "suggestions/home.html", {"campaign": campaign})


def submit(request):
    # Placeholder until the intake form lands (issue 3).
    campaign = Campaign.objects.current()
    return render(request, "suggestions/submit_placeholder.html", {"campaign": campaign})
