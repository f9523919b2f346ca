from django.shortcuts import render

from suggestions.models import Campaign


def home(request):
    campaign = Campaign.objects.current()
    return render(request, "suggestions/home.html", {"campaign": campaign})
