"""Dashboard, reports and showcase pages (issue 5): thin views over selectors."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from suggestions.dashboard import dashboard_build
from suggestions.models import Campaign


def _current_campaign() -> Campaign:
    campaign = Campaign.objects.current()
    if campaign is None:
        raise Http404
    return campaign


@login_required
def dashboard(request):
    context = dashboard_build(user=request.user, campaign=_current_campaign())
    if context is None or not context["title_units"]:
        raise PermissionDenied
    return render(request, "tallies/dashboard.html", context)


@login_required
def dashboard_unit(request, unit_id: int):
    context = dashboard_build(user=request.user, campaign=_current_campaign(), unit_id=unit_id)
    if context is None:
        # Not one of the user's units: do not confirm it exists.
        raise Http404
    return render(request, "tallies/dashboard.html", context)
